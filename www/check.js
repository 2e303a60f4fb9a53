// Loads the release package and runs its self-check; the result goes to #status
// (the browser smoke test reads it).
import init, { version, selfCheck } from "/pkg/localrec.js";

const status = document.getElementById("status");
try {
  await init();
  status.textContent = `ok — ${selfCheck()} (package ${version()})`;
  status.dataset.state = "ok";
} catch (e) {
  status.textContent = `error: ${e && e.message ? e.message : e}`;
  status.dataset.state = "error";
}
