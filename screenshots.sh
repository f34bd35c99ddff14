#!/usr/bin/env bash
# Screenshots of the admin console's main pages, one PNG each, for a person to look at (not committed: screenshots/
# is git-ignored). Builds, then runs the screenshot test (tests/Bindery.Tests/Console/Browser/ConsoleScreenshotTests.cs):
# a real server on a free loopback port with a little data, photographed by headless Chromium at 1366x768.
# Needs Debian's chromium (apt-get install chromium), or BINDERY_CHROMIUM=/path/to/chrome.
#   ./screenshots.sh          # into ./screenshots
#   ./screenshots.sh DIR      # into DIR
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "$0")/screenshots}")
cd "$(dirname "$0")"

dotnet build --nologo -v quiet tests/Bindery.Tests
mkdir -p "$out"
rm -f "$out"/[0-9][0-9]-*.png
BINDERY_SCREENSHOTS_DIR="$out" BINDERY_REQUIRE_BROWSER=1 BINDERY_TEST_STORE=sqlite \
  dotnet test tests/Bindery.Tests --no-build --nologo \
  --filter "FullyQualifiedName~Bindery.Tests.Console.Browser.ConsoleScreenshotTests"
echo "Screenshots in $out:"
ls -1 "$out"/*.png
