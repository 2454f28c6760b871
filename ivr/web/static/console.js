// The console's only script besides htmx: say so when a background request fails, so an agent
// knows the typed text is still on the page (and will be saved when the network is back).
(function () {
  "use strict";
  function status(text) {
    var box = document.getElementById("net-status");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
  }
  document.addEventListener("htmx:sendError", function () {
    status("网络连接中断：您填写的内容仍在页面上，恢复后会自动保存。");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var code = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (code === 413) {
      status("提交的内容太大（上限 2 MB），请删减。页面上的内容没有丢失。");
    } else if (code === 403) {
      status("页面已过期，请刷新后重试。页面上的内容没有丢失。");
    } else {
      status("服务器暂时无法处理（" + code + "），页面上的内容没有丢失，请稍后再试。");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { status(""); }
  });
})();
