'use strict';
// Drives the unmodified WeChat mini-program SDK (npm qcloud-iotexplorer-appdev-sdk) through a whole token binding
// against a Bindery server, the way a mini-program does, and prints one JSON line per step on stdout.
// The device's side is played by the test that runs this script: when the script prints {"step":"token",…}, the test
// reports that token through the device API and answers "reported" on stdin.
//
// Environment: BINDERY_URL (e.g. http://127.0.0.1:5123), ACCESS_TOKEN (an app user's access token),
// PRODUCT_ID, DEVICE_NAME (a device of a product the user's domain may bind, with the token method enabled),
// OTHER_DEVICE_NAME (a second device of the same product, for the used-token error path).
require('./wx-shim.cjs');
const readline = require('node:readline');
const { AppDevSdk } = require('qcloud-iotexplorer-appdev-sdk');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const apiUrl = `${env('BINDERY_URL')}/api/exploreropen/`;
const productId = env('PRODUCT_ID');
const deviceName = env('DEVICE_NAME');
const otherDeviceName = env('OTHER_DEVICE_NAME');

const print = (step, value) => process.stdout.write(`${JSON.stringify({ step, ...value })}\n`);
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));
const errorOf = (error) => ({ code: error && error.code, msg: error && error.msg });

function newSdk(accessToken) {
  return new AppDevSdk({
    getAccessToken: async () => ({ Token: accessToken }),
    apiUrl,
    enableAccessTokenCache: false,
    wsConfig: { connectWhenInit: false, autoReconnect: false },
  });
}

async function main() {
  const sdk = newSdk(env('ACCESS_TOKEN'));
  await sdk.init();
  print('login', { isLogin: sdk.isLogin, userId: sdk.userId });

  const before = await sdk.requestApi('AppGetFamilyList', { Offset: 0, Limit: 999 });
  print('families', { total: before.Total, count: (before.FamilyList || []).length });

  const created = await sdk.requestApi('AppCreateFamily', { Name: 'SDK home', Address: '' });
  const familyId = created.Data.FamilyId;
  const room = await sdk.requestApi('AppCreateRoom', { FamilyId: familyId, Name: 'SDK room' });
  const roomId = room.Data.RoomId;
  const rooms = await sdk.requestApi('AppGetRoomList', { FamilyId: familyId, Offset: 0, Limit: 999 });
  print('family', { familyId, roomId, roomTotal: rooms.Total });

  const { Token: token } = await sdk.requestApi('AppCreateDeviceBindToken', {});
  const before2 = await sdk.requestApi('AppGetDeviceBindTokenState', { Token: token });
  print('token', { token, stateBeforeReport: before2.State });
  const answer = await nextLine();
  if (answer.trim() !== 'reported') throw new Error(`expected "reported", got ${answer}`);

  let state = 0;
  for (let i = 0; i < 20 && state !== 2; i++) {
    ({ State: state } = await sdk.requestApi('AppGetDeviceBindTokenState', { Token: token }));
    if (state !== 2) await new Promise((r) => setTimeout(r, 100));
  }
  print('state', { state });

  const bound = await sdk.requestApi('AppTokenBindDeviceFamily', {
    Token: token, FamilyId: familyId, RoomId: roomId, ProductId: productId, DeviceName: deviceName,
  });
  print('bound', { keys: Object.keys(bound) });

  const devices = await sdk.requestApi('AppGetFamilyDeviceList', { FamilyId: familyId, Offset: 0, Limit: 999 });
  print('devices', {
    total: devices.Total,
    names: (devices.DeviceList || []).map((d) => d.DeviceName),
    ids: (devices.DeviceList || []).map((d) => d.DeviceId),
  });

  try {
    await sdk.requestApi('AppTokenBindDeviceFamily', {
      Token: token, FamilyId: familyId, RoomId: roomId, ProductId: productId, DeviceName: otherDeviceName,
    });
    print('usedToken', { thrown: false });
  } catch (error) {
    print('usedToken', { thrown: true, ...errorOf(error) });
  }

  await sdk.requestApi('AppDeleteDeviceInFamily', { FamilyId: familyId, ProductId: productId, DeviceName: deviceName });
  const after = await sdk.requestApi('AppGetFamilyDeviceList', { FamilyId: familyId, Offset: 0, Limit: 999 });
  print('deleted', { total: after.Total });

  const stranger = newSdk('not-a-valid-access-token');
  try {
    await stranger.init();
    print('badAccessToken', { thrown: false });
  } catch (error) {
    print('badAccessToken', { thrown: true, ...errorOf(error) });
  }
  print('done', {});
}

main()
  .catch((error) => {
    print('failed', { error: error instanceof Error ? error.stack : errorOf(error) });
    process.exitCode = 1;
  })
  .finally(() => lines.close());
