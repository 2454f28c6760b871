// The recording's player (/recordings/<number>): every seek is reported to the server for the
// access log, also one inside what the browser has buffered already (that one makes no request).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var player = document.getElementById("player");
    if (!player) { return; }
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    player.addEventListener("seeked", function () {
      var body = new URLSearchParams({ at: player.currentTime.toFixed(1), csrf: headers["X-CSRF-Token"] || "" });
      fetch(player.getAttribute("data-seek"), { method: "POST", body: body, credentials: "same-origin" });
    });
  });
})();
