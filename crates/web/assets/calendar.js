// Agora's content calendar: drag a post onto another day (month view; it
// keeps its time of day) or another hour (week view; it keeps its minutes).
// A drop fills in the post's own "Move" form and sends it, so dragging and
// the keyboard take the same path through the server; the calendar is then
// replaced by the server's answer. Without this script the forms still work.
(function () {
  "use strict";
  var dragged = null;

  function calendar() {
    return document.getElementById("calendar");
  }

  function slotOf(node) {
    return node && node.closest ? node.closest("#calendar [data-drop-date]") : null;
  }

  function clearTargets() {
    document.querySelectorAll("#calendar .drop-target").forEach(function (slot) {
      slot.classList.remove("drop-target");
    });
  }

  function announce(text) {
    var region = document.getElementById("calendar-announce");
    if (region) region.textContent = text;
  }

  // Shows the server's answer: its calendar, and its note (flash) if any.
  function show(html, postId) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var fresh = answer.getElementById("calendar");
    var current = calendar();
    if (!fresh || !current) {
      window.location.reload();
      return;
    }
    current.replaceWith(document.importNode(fresh, true));
    var flash = answer.querySelector(".flash[role=status]");
    var oldFlash = document.querySelector("body > .flash[role=status]");
    if (oldFlash) oldFlash.remove();
    if (flash) {
      var main = document.getElementById("main");
      main.parentNode.insertBefore(document.importNode(flash, true), main);
      announce(flash.textContent);
    }
    var error = calendar().querySelector(".cal-move[open] input[aria-invalid=true]");
    if (error) {
      announce(calendar().querySelector("[role=alert]").textContent);
      error.focus();
      return;
    }
    var moved = calendar().querySelector('[data-post="' + postId + '"] a');
    if (moved) moved.focus({ preventScroll: true });
  }

  function send(form, postId) {
    var body = new URLSearchParams(new FormData(form));
    announce("Moving the post…");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.elements.csrf.value },
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        show(html, postId);
      })
      .catch(function () {
        form.submit();
      });
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest ? event.target.closest("#calendar [data-move]") : null;
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-post"));
    item.classList.add("dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var slot = slotOf(event.target);
    if (!slot || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!slot.classList.contains("drop-target")) {
      clearTargets();
      slot.classList.add("drop-target");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var slot = slotOf(event.target);
    if (slot && !slot.contains(event.relatedTarget)) slot.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var slot = slotOf(event.target);
    if (!slot || !dragged) return;
    event.preventDefault();
    clearTargets();
    var item = dragged;
    dragged = null;
    item.classList.remove("dragging");
    var form = item.querySelector("form.cal-move-form");
    if (!form) return;
    var date = slot.getAttribute("data-drop-date");
    var hour = slot.getAttribute("data-drop-hour");
    var time = form.elements.time.value || "09:00";
    if (hour !== null) time = hour + ":" + time.slice(3, 5);
    if (form.elements.date.value === date && form.elements.time.value === time) return;
    form.elements.date.value = date;
    form.elements.time.value = time;
    item.classList.add("moving");
    send(form, item.getAttribute("data-post"));
  });
})();
