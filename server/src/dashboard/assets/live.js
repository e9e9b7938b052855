// Gatehouse dashboard: keeps the overview and the Kiosks page live over Server-Sent Events (the
// server sends ready-escaped HTML fragments by element id) and asks before destructive actions.
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
  const swap = (e) => {
    const data = JSON.parse(e.data);
    for (const [id, html] of data.html) {
      const el = document.getElementById(id);
      if (el) el.innerHTML = html;
    }
    say("live", "is-live");
    document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
  };
  // "overview" from an event's overview, "fragments" from other live pages (Kiosks).
  source.addEventListener("overview", swap);
  source.addEventListener("fragments", swap);
  source.addEventListener("trouble", () => say("server trouble, retrying…", "is-down"));
  source.addEventListener("error", () => say("connection lost, reconnecting…", "is-down"));
}

// Delegated, so forms a live update swapped in ask too.
function confirmForms() {
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  startLive();
  confirmForms();
});
