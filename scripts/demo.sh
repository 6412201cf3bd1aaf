#!/bin/sh
# The README's demo command: installs what it needs, builds into build/, and
# shows the deferred-response messages travelling through the OTA security
# layer with the embedded defaults (uicc-emu/examples/card0.ini, keyset 1,
# TAR b00001).  The whole flow through ofonod arrives with the plugin.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
log=$(mktemp)
scripts/build.sh >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"

CLI=build/ota-test-server/ota-cli
CARD=uicc-emu/examples/card0.ini
key() { sed -n "/^\[keyset 1\]/,/^\[/s/^$1=\([0-9a-fA-F]*\).*/\1/p" "$CARD"; }
KIC_KEY=$(key kic-key)
KID_KEY=$(key kid-key)
KEYS="--kic 15 --kid 15 --kic-key $KIC_KEY --kid-key $KID_KEY"
step() { printf '\n\033[1m%s\033[0m\n' "$*"; }

step "1. SV1 asks the card to show a text and keep the user's answer (C1, doc/protocol.md)"
C1=$($CLI message c1 --txid 00000001 --action display-text \
	--text "Pay 10 EUR to ACME?" --sv1-address +15550100 --wanted fixed:30)
echo "C1  $C1"
$CLI message decode "$C1"

step "2. SV2 secures it for TAR b00001 with keyset 1 (3DES, CC, ciphered, counter 1; TS 102 225)"
PKT=$($CLI packet wrap --spi 1619 $KEYS --tar b00001 --cntr 0000000001 --data "$C1")
echo "SMS-PP user data  027000$PKT"

step "3. The card's OTA layer verifies and deciphers it"
$CLI packet unwrap-command --kic-key "$KIC_KEY" --kid-key "$KID_KEY" "$PKT"

step "4. A tampered packet is refused (one bit flipped in the ciphertext)"
LAST=$(printf '%s' "$PKT" | tail -c 2)
FLIPPED=$(printf '%s' "$PKT" | head -c $((${#PKT} - 2)))$(printf '%02x' $((0x$LAST ^ 1)))
$CLI packet unwrap-command --kic-key "$KIC_KEY" --kid-key "$KID_KEY" "$FLIPPED" || true

step "5. Later SV1 fetches the stored result (C2), secured with the next counter"
C2=$($CLI message c2 --txid 00000001)
echo "C2  $C2"
$CLI packet wrap --spi 1619 $KEYS --tar b00001 --cntr 0000000002 --data "$C2"
