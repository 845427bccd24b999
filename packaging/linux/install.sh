#!/usr/bin/env sh
# Install the built bundle (dist/NinjaDesk) for one user or system-wide, with menu entry,
# AppStream metadata and icon. Usage, from the repository root after `make bundle`:
#   packaging/linux/install.sh                 # ~/.local (no root needed)
#   sudo PREFIX=/usr/local packaging/linux/install.sh
# Uninstall: the same with --uninstall.
set -eu
PREFIX=${PREFIX:-$HOME/.local}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/dist/NinjaDesk}
APP_ID=com.ninjadesk.NinjaDesk
ICON=$ROOT/resources/app_icon.svg

APPDIR=$PREFIX/lib/ninja-desk
BIN=$PREFIX/bin/NinjaDesk
DESKTOP=$PREFIX/share/applications/$APP_ID.desktop
METAINFO=$PREFIX/share/metainfo/$APP_ID.metainfo.xml
ICON_DEST=$PREFIX/share/icons/hicolor/scalable/apps/$APP_ID.svg

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$APPDIR"
    rm -f "$BIN" "$DESKTOP" "$METAINFO" "$ICON_DEST"
    echo "NinjaDesk removed from $PREFIX (your data dir is kept)."
    exit 0
fi

[ -x "$BUNDLE/NinjaDesk" ] || { echo "No bundle at $BUNDLE: run 'make bundle' first." >&2; exit 1; }
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$(dirname "$DESKTOP")" "$(dirname "$METAINFO")" \
    "$(dirname "$ICON_DEST")"
rm -rf "$APPDIR.new"
cp -a "$BUNDLE" "$APPDIR.new"
rm -rf "$APPDIR"
mv "$APPDIR.new" "$APPDIR"
ln -sf "$APPDIR/NinjaDesk" "$BIN"
# Exec/TryExec name the absolute path so the menu entry works without $PREFIX/bin on PATH.
sed -e "s|^Exec=NinjaDesk|Exec=$APPDIR/NinjaDesk|" -e "s|^TryExec=NinjaDesk|TryExec=$APPDIR/NinjaDesk|" \
    "$HERE/$APP_ID.desktop" > "$DESKTOP"
cp "$HERE/$APP_ID.metainfo.xml" "$METAINFO"
if [ -f "$ICON" ]; then
    cp "$ICON" "$ICON_DEST"
else
    echo "Note: $ICON is missing; the menu entry has no icon." >&2
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$(dirname "$DESKTOP")" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
echo "NinjaDesk installed in $APPDIR; start it from the menu or with $BIN."
