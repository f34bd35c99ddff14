#!/usr/bin/env bash
# The README quickstart as a script: all three Quectel-style binding flows end to end, with the demo tenant
# and the device simulator (bindery-sim). The test suite runs it (tests/Bindery.Tests/Cli/QuickstartScriptTests.cs).
#
#   docs/quickstart.sh
#       builds and starts a server on a fresh data directory (port $BINDERY_PORT, default 5080; its MQTT broker
#       on $BINDERY_MQTT_PORT, default 1883), walks the flows, stops the server and deletes the directory;
#   BINDERY_URL=http://localhost:5080 BINDERY_DATA_DIR=./data docs/quickstart.sh
#       walks the flows against a running server whose data directory holds demo-tenant.json (its broker on
#       $BINDERY_MQTT_PORT or 1883).
#
# Needs dotnet and curl (no jq). BINDERY_SIM is the command that runs the simulator (default: build
# src/Bindery.Cli and run its dll). Each step unbinds at the end, so it can run again against the same server.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
fail() { echo "QUICKSTART FAILED: $*" >&2; exit 1; }
# expect_code CODE RESPONSE: the envelope's code must be CODE.
expect_code() {
  case "$2" in
    *"\"code\":$1,"*) echo "   -> code $1, as expected" ;;
    *) fail "expected code $1, got: $2" ;;
  esac
}
# expect_text TEXT RESPONSE
expect_text() {
  case "$2" in
    *"$1"*) ;;
    *) fail "expected $1 in: $2" ;;
  esac
}

if [ -z "${BINDERY_SIM:-}" ]; then
  dotnet build src/Bindery.Cli --nologo -v q -clp:NoSummary >/dev/null
  BINDERY_SIM="dotnet src/Bindery.Cli/bin/Debug/net10.0/bindery-sim.dll"
fi
sim() { $BINDERY_SIM "$@"; }

if [ -z "${BINDERY_URL:-}" ]; then
  step "Start a server on a fresh data directory"
  dotnet build src/Bindery.Server --nologo -v q -clp:NoSummary >/dev/null
  BINDERY_DATA_DIR=$(mktemp -d)
  port=${BINDERY_PORT:-5080}
  # The server prints the admin key and the demo tenant's secrets once, on standard output: keep them in the
  # (private, temporary) data directory rather than on the screen.
  Mqtt__Port=${BINDERY_MQTT_PORT:-1883} dotnet src/Bindery.Server/bin/Debug/net10.0/Bindery.Server.dll --data-dir "$BINDERY_DATA_DIR" --urls "http://127.0.0.1:$port" \
    >"$BINDERY_DATA_DIR/server.log" 2>&1 &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$BINDERY_DATA_DIR"' EXIT
  BINDERY_URL=http://127.0.0.1:$port
  for _ in $(seq 1 120); do
    if curl -sf "$BINDERY_URL/readyz" >/dev/null 2>&1; then break; fi
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited: $(tail -n 20 "$BINDERY_DATA_DIR/server.log")"
    sleep 0.5
  done
  curl -sf "$BINDERY_URL/readyz" >/dev/null || fail "the server did not become ready at $BINDERY_URL"
  echo "   server at $BINDERY_URL, data in $BINDERY_DATA_DIR"
fi
export BINDERY_URL BINDERY_DATA_DIR="${BINDERY_DATA_DIR:-data}"
B=$BINDERY_URL

step "0. The demo tenant (seeded on the server's first start)"
sim demo
# USER_DOMAIN, DEMO_FID, DEMO_FRID, DEMO2_FID, PLUG_PK/_DK, LOCK_PK/_SN, TRACKER_PK/_DK, ...
eval "$(sim demo --shell)"

step "1. Log the demo user in"
TOKEN=$(sim login --demo --print-token)
echo "   TOKEN=${TOKEN:0:6}..."

step "2. Wi-Fi binding of $PLUG_PK (multi-user): the device reports a binding code, the app binds with it"
CODE=$(sim report-code --demo --pk "$PLUG_PK" --dk "$PLUG_DK" --print-code)
echo "   the device reported bindingCode $CODE (without --print-code it also prints the app's curl)"
R=$(curl -s "$B/v2/binding/enduserapi/v2/deviceBindingByWifi" -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"productKey\":\"$PLUG_PK\",\"deviceKey\":\"$PLUG_DK\",\"bindingCode\":\"$CODE\",\"fid\":\"$DEMO_FID\",\"frid\":\"$DEMO_FRID\"}")
echo "   $R"
expect_code 200 "$R"
R=$(curl -s "$B/v2/binding/enduserapi/v2/deviceBindingByWifi" -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"productKey\":\"$PLUG_PK\",\"deviceKey\":\"$PLUG_DK\",\"bindingCode\":\"$CODE\",\"fid\":\"$DEMO_FID\"}")
echo "   the same code again: $R"
expect_code 5462 "$R"

step "3. SN binding of $LOCK_PK (owner mode): the serial number from the box"
R=$(curl -s -X POST "$B/v2/binding/enduserapi/bindDeviceSn?pk=$LOCK_PK&sn=$LOCK_SN&fid=$DEMO_FID&frid=$DEMO_FRID" -H "Authorization: $TOKEN")
echo "   $R"
expect_code 200 "$R"

step "4. Pure-BT binding of $TRACKER_PK (rotation mode): the simulator computes what the app reads over Bluetooth"
BODY=$(sim bt-payload --demo --pk "$TRACKER_PK" --dk "$TRACKER_DK" --print-body)
echo "   $BODY"
R=$(curl -s "$B/v2/binding/enduserapi/deviceBindingByPureBt" -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d "$BODY")
echo "   $R"
expect_code 200 "$R"
expect_text '"verified":"1"' "$R"

step "5. The demo user's device list shows all three"
R=$(curl -s "$B/v2/binding/enduserapi/userDeviceList" -H "Authorization: $TOKEN")
echo "   $R"
expect_code 200 "$R"
expect_text '"total":3' "$R"
for type in 2 1 4; do expect_text "\"bindingType\":$type," "$R"; done  # Wi-Fi, SN, Bluetooth

step "6. Owner mode: a second user cannot bind the lock (5412)"
TOKEN2=$(sim login --demo --user demo2 --print-token)
R=$(curl -s -X POST "$B/v2/binding/enduserapi/bindDeviceSn?pk=$LOCK_PK&sn=$LOCK_SN&fid=$DEMO2_FID" -H "Authorization: $TOKEN2")
echo "   $R"
expect_code 5412 "$R"

step "7. Unbind the three devices (so this script can run again)"
for device in "$PLUG_PK $PLUG_DK" "$LOCK_PK $LOCK_DK" "$TRACKER_PK $TRACKER_DK"; do
  set -- $device
  R=$(curl -s -X DELETE "$B/v2/binding/enduserapi/unbundlingDeviceDk?pk=$1&dk=$2" -H "Authorization: $TOKEN")
  expect_code 200 "$R"
done

step "8. Tencent-style token binding of $PLUG_PK into the demo family"
R=$(curl -s "$B/api/exploreropen/tokenapi" -H 'Content-Type: application/json' \
  -d "{\"Action\":\"AppCreateDeviceBindToken\",\"RequestId\":\"quickstart-1\",\"AccessToken\":\"$TOKEN\"}")
echo "   $R"
expect_text '"RequestId":"quickstart-1"' "$R"
BIND_TOKEN=$(printf '%s' "$R" | sed -E 's/.*"Token":"([^"]+)".*/\1/')
# The plug as a Tencent-protocol device over MQTT (the broker on port $BINDERY_MQTT_PORT, default 1883).
R=$(sim mqtt-device --demo --pk "$PLUG_PK" --dk "$PLUG_DK" --token "$BIND_TOKEN" --wait 0)
echo "$R" | sed 's/^/   /'
expect_text '"method":"app_bind_token_reply"' "$R"
expect_text '"code":0' "$R"
R=$(curl -s "$B/api/exploreropen/tokenapi" -H 'Content-Type: application/json' \
  -d "{\"Action\":\"AppGetDeviceBindTokenState\",\"AccessToken\":\"$TOKEN\",\"Token\":\"$BIND_TOKEN\"}")
echo "   token state: $R"
expect_text '"State":2' "$R"
R=$(curl -s "$B/api/exploreropen/tokenapi" -H 'Content-Type: application/json' \
  -d "{\"Action\":\"AppTokenBindDeviceFamily\",\"RequestId\":\"quickstart-2\",\"AccessToken\":\"$TOKEN\",\"Token\":\"$BIND_TOKEN\",\"ProductId\":\"$PLUG_PK\",\"DeviceName\":\"$PLUG_DK\",\"FamilyId\":\"$DEMO_FID\",\"RoomId\":\"0\"}")
echo "   $R"
case "$R" in *'"Error"'*) fail "token binding refused: $R" ;; esac
expect_text '"RequestId":"quickstart-2"' "$R"
R=$(curl -s "$B/v2/binding/enduserapi/userDeviceList" -H "Authorization: $TOKEN")
expect_text '"bindingType":2,' "$R"
echo "   the /v2 device list shows it with bindingType 2 (a token binding lists as Wi-Fi)"
R=$(curl -s -X DELETE "$B/v2/binding/enduserapi/unbundlingDeviceDk?pk=$PLUG_PK&dk=$PLUG_DK" -H "Authorization: $TOKEN")
expect_code 200 "$R"

step "9. Tencent-style signature binding of $LOCK_PK (owner mode): the device signs, the app relays the signature"
# What the device hands the app during provisioning: an HMAC with its secret over its name, the time and a ConnId.
BODY=$(sim sig-bind --demo --pk "$LOCK_PK" --dk "$LOCK_DK" --access-token "$TOKEN" --print-body)
echo "   $BODY" | sed -E 's/"AccessToken":"[^"]*"/"AccessToken":"…"/'
R=$(curl -s "$B/api/exploreropen/tokenapi" -H 'Content-Type: application/json' -d "$BODY")
echo "   $R"
case "$R" in *'"Error"'*) fail "signature binding refused: $R" ;; esac
expect_text '"AppDeviceInfo"' "$R"
R=$(curl -s "$B/api/exploreropen/tokenapi" -H 'Content-Type: application/json' -d "$BODY")
echo "   the same signature again: $R"
expect_text 'Device verification failed' "$R"
R=$(curl -s "$B/v2/binding/enduserapi/userDeviceList" -H "Authorization: $TOKEN")
expect_text '"verified":1,' "$R"
echo "   bound with proof of possession (verified 1); each signature binds once"
R=$(curl -s -X DELETE "$B/v2/binding/enduserapi/unbundlingDeviceDk?pk=$LOCK_PK&dk=$LOCK_DK" -H "Authorization: $TOKEN")
expect_code 200 "$R"

echo
echo "QUICKSTART OK: Wi-Fi, SN, pure-BT, Tencent-style token and signature bindings done; the second user got 5412 on the owner-mode lock."
