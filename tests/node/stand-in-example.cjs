'use strict';
// The example of docs/stand-in.md ("A Node test against Bindery"): an app's test, written with the official Tencent
// SDK (npm qcloud-iotexplorer-appdev-sdk) and node:assert, against Bindery in stand-in mode. It makes the next
// AppTokenBindDeviceFamily fail with a catalogued error, checks the SDK surfaces that error, and asserts through the
// request journal that the app called AppTokenBindDeviceFamily exactly once, with RoomId 0.
// tests/Bindery.Tests/StandIn/NodeExampleTests.cs runs it, so the documented example cannot rot.
//
// Environment: BINDERY_URL (e.g. http://127.0.0.1:5123), STANDIN_KEY (the stand-in API key), ACCESS_TOKEN (an app
// user's access token), PRODUCT_ID and DEVICE_NAME (a device the app binds).
require('./wx-shim.cjs'); // the SDK targets WeChat mini-programs: wx.request over fetch, for Node
const assert = require('node:assert/strict');
const { AppDevSdk } = require('qcloud-iotexplorer-appdev-sdk');

const { BINDERY_URL, STANDIN_KEY, ACCESS_TOKEN, PRODUCT_ID, DEVICE_NAME } = process.env;

// The stand-in API: JSON in, {code, msg, extMsg, data} out, the key in X-StandIn-Key.
async function standIn(method, path, body) {
  const response = await fetch(`${BINDERY_URL}/stand-in/v1${path}`, {
    method,
    headers: { 'X-StandIn-Key': STANDIN_KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const envelope = await response.json();
  assert.equal(envelope.code, 200, `${method} ${path}: ${JSON.stringify(envelope)}`);
  return envelope.data;
}

async function main() {
  // A clean slate for this test: no fault rules, an empty journal.
  await standIn('DELETE', '/faults');
  await standIn('DELETE', '/journal');

  // The next bind answers "device already bound", exactly as the real cloud would.
  await standIn('POST', '/faults', { dialect: 'tencent', action: 'AppTokenBindDeviceFamily', error: 'DeviceAlreadyBound', times: 1 });

  const sdk = new AppDevSdk({
    getAccessToken: async () => ({ Token: ACCESS_TOKEN }),
    apiUrl: `${BINDERY_URL}/api/exploreropen/`,
    enableAccessTokenCache: false,
    wsConfig: { connectWhenInit: false, autoReconnect: false },
  });
  await sdk.init();
  const { FamilyId } = (await sdk.requestApi('AppCreateFamily', { Name: 'Test home', Address: '' })).Data;
  const { Token } = await sdk.requestApi('AppCreateDeviceBindToken', {});

  // What the app under test does: bind into the default room (RoomId 0), and show the error the SDK throws.
  await assert.rejects(
    sdk.requestApi('AppTokenBindDeviceFamily', { Token, FamilyId, RoomId: 0, ProductId: PRODUCT_ID, DeviceName: DEVICE_NAME }),
    (error) => {
      assert.equal(error.code, 'UnsupportedOperation.CannotBindSameFamily');
      return true;
    },
  );

  // The journal: called once, with RoomId 0; the bind token it carried is masked.
  const { entries } = await standIn('GET', '/journal?action=AppTokenBindDeviceFamily');
  assert.equal(entries.length, 1);
  assert.equal(Number(entries[0].parameters.RoomId), 0);
  assert.equal(entries[0].parameters.Token, '***');
  assert.equal(entries[0].answerCode, 'UnsupportedOperation.CannotBindSameFamily');
  console.log(JSON.stringify({ ok: true, userId: entries[0].userId, fault: entries[0].fault }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
