// Agora's own small script: close the workspace switcher on Escape.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.switcher[open]").forEach(function (details) {
    details.removeAttribute("open");
    var summary = details.querySelector("summary");
    if (summary) summary.focus();
  });
});
