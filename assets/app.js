// Small enhancements over pages that work without scripts: a live countdown on a held
// window, live refresh of queue and window lists, and no double submits.
"use strict";

(function () {
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function startCountdown(element) {
    var expires = Date.now() + 1000 * Number(element.getAttribute("data-seconds-left"));
    var output = element.querySelector("[data-countdown-value]");
    var form = document.getElementById(element.getAttribute("data-form"));
    if (isNaN(expires) || !output) {
      return;
    }
    element.hidden = false;
    function tick() {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      output.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      if (left > 0) {
        window.setTimeout(tick, 1000);
        return;
      }
      var notice = document.getElementById(element.getAttribute("data-expired"));
      if (notice) {
        notice.hidden = false;
        notice.focus();
      }
      if (form) {
        Array.prototype.forEach.call(form.querySelectorAll("button, input"), function (control) {
          control.disabled = true;
        });
      }
    }
    tick();
  }

  // Replaces a live region with the same region of a fresh copy of the page.
  function keepFresh(region) {
    var seconds = Number(region.getAttribute("data-refresh")) || 30;
    window.setInterval(function () {
      if (document.hidden || region.contains(document.activeElement)) {
        return;
      }
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (text) {
          if (!text) {
            return;
          }
          var fresh = new DOMParser()
            .parseFromString(text, "text/html")
            .getElementById(region.id);
          if (fresh) {
            region.innerHTML = fresh.innerHTML;
          }
        })
        .catch(function () {});
    }, seconds * 1000);
  }

  function guardSubmits() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.getAttribute("data-submitted") === "yes") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "yes");
      form.setAttribute("aria-busy", "true");
    });
  }

  // A notice such as "Booked." is said once: a reload or a bookmark should not repeat it.
  function forgetNotice() {
    var url = new URL(window.location.href);
    if (url.searchParams.has("done")) {
      url.searchParams.delete("done");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    forgetNotice();
    Array.prototype.forEach.call(document.querySelectorAll("[data-seconds-left]"), startCountdown);
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), keepFresh);
    guardSubmits();
  });
})();
