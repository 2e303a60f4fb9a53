// Loaded first (a classic script): records uncaught errors, unhandled
// rejections and console.error calls in window.__shopErrors, so the end-to-end
// test can assert "no console errors" including ones before it could attach.
(function () {
  var errors = [];
  window.__shopErrors = errors;
  window.addEventListener("error", function (e) {
    errors.push("error: " + (e.message || (e.target && e.target.src) || "resource failed to load"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    errors.push("unhandledrejection: " + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
  });
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
  document.addEventListener("securitypolicyviolation", function (e) {
    errors.push("csp: " + e.violatedDirective + " blocked " + e.blockedURI);
  });
})();
