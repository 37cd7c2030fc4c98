// Agora's check-in scanner: where the browser has a camera and the
// BarcodeDetector API (Chrome on Android, for example), "Scan a QR code"
// reads an attendee's code and submits it; elsewhere the button stays
// hidden and the code is typed.
(function () {
  var button = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  var input = document.getElementById("code");
  if (!button || !video || !input || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length > 0) {
            stop();
            input.value = codes[0].rawValue;
            input.form.submit();
          } else {
            window.requestAnimationFrame(look);
          }
        }).catch(function () { window.requestAnimationFrame(look); });
      };
      look();
    }).catch(function () { button.hidden = true; });
  });
})();
