//! The MLP engine (issue 3): dense layers, activations, losses, optimizers,
//! the training loop and the versioned model format.
