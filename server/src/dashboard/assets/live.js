// Gatehouse dashboard: keeps the overview live over Server-Sent Events (the server sends
// ready-escaped HTML fragments by element id) and asks before destructive actions.
"use strict";

function startLive() {
  const host = document.querySelector("[data-live]");
  if (!host) return;
  const status = document.getElementById("live-status");
  const say = (text, cls) => {
    if (status) {
      status.textContent = text;
      status.className = "live-status " + cls;
    }
  };
  const source = new EventSource(host.dataset.live);
  source.addEventListener("open", () => say("live", "is-live"));
  source.addEventListener("overview", (e) => {
    const data = JSON.parse(e.data);
    for (const [id, html] of data.html) {
      const el = document.getElementById(id);
      if (el) el.innerHTML = html;
    }
    say("live", "is-live");
    document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
  });
  source.addEventListener("trouble", () => say("server trouble, retrying…", "is-down"));
  source.addEventListener("error", () => say("connection lost, reconnecting…", "is-down"));
}

function confirmForms() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  startLive();
  confirmForms();
});
