// Small enhancements over pages that work without scripts: a live countdown on a held
// window and to a day's opening or its draw's close, live refresh of queue and window lists
// and of a draw entry waiting for its outcome, and no double submits.
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

  // Counts down to a moment the server named in seconds (its clock, not the phone's), as
  // h:mm:ss; at zero the page is loaded again, to show what the moment changed.
  function startClock(element) {
    var until = Date.now() + 1000 * Number(element.getAttribute("data-count-down"));
    var output = element.querySelector("[data-countdown-value]");
    if (isNaN(until) || !output) {
      return;
    }
    element.hidden = false;
    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      var hours = Math.floor(left / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      output.textContent = (hours > 0 ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(left % 60);
      if (left > 0) {
        window.setTimeout(tick, 1000);
      } else if (element.hasAttribute("data-reload-at-zero")) {
        window.setTimeout(function () {
          window.location.reload();
        }, 1500);
      }
    }
    tick();
  }

  // Replaces a region with the same region of a fresh copy of its page: the address the
  // page names (an answer to a form is shown at an address of its own), else this one.
  function keepFresh(region) {
    var seconds = Number(region.getAttribute("data-refresh")) || 30;
    var source = region.getAttribute("data-refresh-url") || window.location.href;
    window.setInterval(function () {
      if (document.hidden || region.contains(document.activeElement)) {
        return;
      }
      fetch(source, { credentials: "same-origin" })
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
          // Unchanged content is left alone, so nothing moves under a reader's eyes.
          if (fresh && fresh.innerHTML !== region.innerHTML) {
            region.innerHTML = fresh.innerHTML;
          }
        })
        .catch(function () {});
    }, seconds * 1000);
  }

  // Coming back to a page (the back button) must not find its forms still marked as sent.
  function resetSubmits() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitted]"), function (form) {
      form.removeAttribute("data-submitted");
      form.removeAttribute("aria-busy");
    });
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
    // What went wrong is where the keyboard starts, and a screen reader reads it first.
    var problem = document.getElementById("problem");
    if (problem) {
      problem.focus();
    }
    window.addEventListener("pageshow", resetSubmits);
    Array.prototype.forEach.call(document.querySelectorAll("[data-seconds-left]"), startCountdown);
    Array.prototype.forEach.call(document.querySelectorAll("[data-count-down]"), startClock);
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), keepFresh);
    guardSubmits();
  });
})();
