//! The recommender (issue 5): candidate generation, features, ranking and reasons.
