'use strict';
// The smallest `wx` a WeChat mini-program SDK needs to run in Node: wx.request over Node's fetch, an in-memory
// storage, and no-op UI and lifecycle hooks. It must be installed before the SDK is loaded, because the SDK
// decides at load time whether it runs in a mini-program (`wx.request && wx.connectSocket`).
const storage = new Map();

function request({ url, data, header = {}, method = 'GET', success, fail }) {
  const headers = { 'Content-Type': 'application/json', ...header };
  const init = { method, headers };
  if (method !== 'GET' && data !== undefined) {
    init.body = typeof data === 'string' ? data : JSON.stringify(data);
  }
  fetch(url, init)
    .then(async (response) => {
      const text = await response.text();
      let body = text;
      try { body = JSON.parse(text); } catch { /* wx.request hands over non-JSON as text */ }
      const headerObject = Object.fromEntries(response.headers.entries());
      success && success({ data: body, statusCode: response.status, header: headerObject });
    })
    .catch((error) => fail && fail({ errMsg: `request:fail ${error.message}` }));
  return { abort() {} };
}

function callback(fn, value) {
  setImmediate(() => fn && fn(value));
}

globalThis.wx = {
  request,
  connectSocket() {
    throw new Error('the wx shim has no WebSocket: create the SDK with wsConfig.connectWhenInit = false');
  },
  getStorage({ key, success, fail }) {
    if (storage.has(key)) callback(success, { data: storage.get(key) });
    else callback(fail, { errMsg: 'getStorage:fail data not found' });
  },
  setStorage({ key, data, success }) { storage.set(key, data); callback(success, {}); },
  removeStorage({ key, success }) { storage.delete(key); callback(success, {}); },
  getSystemInfoSync() { return { platform: 'devtools', SDKVersion: '3.0.0' }; },
  onAppHide() {},
  onAppShow() {},
  showModal({ complete }) { callback(complete, {}); },
  showToast() {},
  hideToast() {},
  showLoading({ success } = {}) { callback(success, {}); },
  hideLoading({ success } = {}) { callback(success, {}); },
};
