// A code lives 60 seconds: fetch a new image a little before it expires.
(function () {
  var img = document.getElementById("qr"), shown = document.getElementById("countdown");
  if (!img || !shown) { return; }
  var renewEvery = parseInt(shown.getAttribute("data-renew-every"), 10), left = renewEvery;
  setInterval(function () {
    left -= 1;
    if (left <= 0) { img.src = "/ecard/qr.svg?t=" + Date.now(); left = renewEvery; }
    shown.textContent = left;
  }, 1000);
})();
