"""A tiny W3C WebDriver client (stdlib only) and helpers to start the demo
server and a headless Firefox through geckodriver, for the browser tests."""
