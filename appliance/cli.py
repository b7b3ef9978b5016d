"""The `yishi` command: set up, serve, pair, inspect. Errors are one clear line, never a traceback."""

import argparse
import getpass
import os
import sys

from appliance import __version__
from appliance.errors import StoreError, UserError


def _read_passphrase(args, confirm=False, prompt="Admin passphrase / 管理员口令: "):
    if getattr(args, "passphrase_file", None):
        from appliance.store.keys import read_secret_file

        text = read_secret_file(args.passphrase_file).decode("utf-8").rstrip("\r\n")
        if not text:
            raise StoreError(f"{args.passphrase_file}: the passphrase file is empty")
        return text
    if not sys.stdin.isatty():
        raise StoreError("no passphrase: give --passphrase-file FILE (stdin is not a terminal)")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again / 再输入一次: ") != first:
        raise StoreError("the two passphrases differ; nothing was created")
    return first


def _unlock(args):
    """Open the store for a CLI verb: key file if given, else the passphrase."""
    from appliance.store import open_store
    from appliance.store.keys import Keyring, read_secret_file

    ring = Keyring.load(args.data)
    if ring is None:
        raise StoreError(f"{args.data}: no keyring here; run `yishi init --data {args.data}` first")
    if getattr(args, "key_file", None):
        key = ring.unlock_with_keyfile(read_secret_file(args.key_file))
        if key is None:
            raise StoreError(f"{args.key_file}: this key file does not open {args.data}")
    else:
        key = ring.unlock_with_passphrase(_read_passphrase(args))
        if key is None:
            raise StoreError("the passphrase is wrong; nothing was changed")
    return open_store(args.data, key)


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of workers from 1 to 64")
    return n


def _prepare_data_dir(path):
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{path}: cannot create the data folder ({e.strerror})") from e
    from appliance.store.db import check_writable

    check_writable(path)


def cmd_init(args):
    from appliance import tls
    from appliance.config import Settings, new_wifi_passphrase
    from appliance.store import audit, open_store
    from appliance.store.keys import Keyring

    _prepare_data_dir(args.data)
    settings = Settings.load(args.data)
    if not os.path.exists(Settings.path(args.data)):
        settings.wifi_passphrase = new_wifi_passphrase()
    for attr, value in (("room", args.room), ("wifi_ssid", args.ssid), ("wifi_passphrase", args.wifi_passphrase), ("public_url", args.public_url)):
        if value is not None:
            setattr(settings, attr, value)
    settings.save(args.data)
    tls.ensure(args.data)
    if args.secrets_only:
        print(f"secrets ready in {args.data} (TLS, Wi-Fi); the store is created later with `yishi init --data {args.data}`")
        return 0
    if Keyring.load(args.data) is not None:
        from appliance.store.db import require_store

        require_store(args.data)  # a keyring without its store is a problem to name, not "done"
        print(f"{args.data}: already initialised (keyring.json exists); nothing changed")
        return 0
    passphrase = _read_passphrase(args, confirm=True)
    ring, key = Keyring.create(args.data, passphrase)
    store = open_store(args.data, key, create=True)
    with store.write() as db:
        audit.record(db, "cli", "store.init", {"version": __version__})
    store.close()
    from appliance.usb import signing

    fp = signing.load(args.data, key).fingerprint
    print(f"initialised {args.data}: encrypted store yishi.db, keyring.json, tls/, export signing key {fp}")
    return 0


def cmd_serve(args):
    from appliance import serve
    from appliance.config import Config
    from appliance.store.keys import Keyring, read_secret_file

    _prepare_data_dir(args.data)
    cfg = Config(data_dir=args.data, advertise=not args.no_zeroconf, advertise_address=args.advertise_address, port=args.port)
    if args.passphrase_file or args.key_file:
        ring = Keyring.load(args.data)
        if ring is None:
            raise StoreError(f"{args.data}: no keyring here; run `yishi init --data {args.data}` first")
        if args.key_file:
            cfg.keyfile_secret = read_secret_file(args.key_file)
            if ring.unlock_with_keyfile(cfg.keyfile_secret) is None:
                raise StoreError(f"{args.key_file}: this key file does not open {args.data}")
        else:
            cfg.passphrase = _read_passphrase(args)
            if ring.unlock_with_passphrase(cfg.passphrase) is None:
                raise StoreError("the passphrase is wrong; the server was not started")
    if args.plain_http:
        cfg.secure_cookies = False
    print(f"Yishi {__version__} serving https://{args.host}:{args.port}/ "
          f"({'unlocked' if (cfg.passphrase or cfg.keyfile_secret) else 'sealed: unlock it in the browser'})", flush=True)
    from appliance.edge import EdgeError

    try:
        return serve.run(cfg, args.host, args.port, args.http_port, threads=args.threads, tls_enabled=not args.plain_http,
                         edge=args.edge, socket_path=args.socket, workers=args.workers)
    except EdgeError as e:
        print(f"yishi: {e}", file=sys.stderr)
        return 2


def cmd_pair(args):
    from appliance.config import Settings
    from appliance.devices import pairing, qr

    settings = Settings.load(args.data)
    store = _unlock(args)
    base = args.url or settings.public_url or "https://yishi.lan"
    _, url, _ = pairing.create_invite(store, None, base, 5 * 60)
    wifi = qr.wifi_string(settings.wifi_ssid, settings.wifi_passphrase)
    print(f"1. Join the Wi-Fi / 连接无线网络: {settings.wifi_ssid}\n")
    print(qr.terminal(wifi))
    print(f"2. Open on the tablet within 5 minutes / 5 分钟内在平板上打开:\n{url}\n")
    print(qr.terminal(url))
    if args.png:
        os.makedirs(args.png, exist_ok=True)
        qr.png(wifi, os.path.join(args.png, "wifi.png"))
        qr.png(url, os.path.join(args.png, "pair.png"))
        print(f"wrote {os.path.join(args.png, 'wifi.png')} and {os.path.join(args.png, 'pair.png')}")
    return 0


def cmd_demo(args):
    """A demo committee in DIR: the store is made first when there is none (demo passphrase file)."""
    import secrets

    from appliance import demo_hooks
    from appliance.demo import DEMO_PASSPHRASE_FILE, populate, roster
    from appliance.store.keys import Keyring

    if Keyring.load(args.data) is None and not args.key_file:
        os.makedirs(args.data, mode=0o700, exist_ok=True)
        if not args.passphrase_file:
            args.passphrase_file = os.path.join(args.data, DEMO_PASSPHRASE_FILE)
            if not os.path.exists(args.passphrase_file):
                fd = os.open(args.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write("demo-" + secrets.token_urlsafe(12) + "\n")
        for attr in ("room", "ssid", "wifi_passphrase", "public_url"):
            setattr(args, attr, None)
        args.secrets_only = False
        cmd_init(args)
    elif not args.passphrase_file and not args.key_file:
        candidate = os.path.join(args.data, DEMO_PASSPHRASE_FILE)
        if os.path.exists(candidate):
            args.passphrase_file = candidate
    store = _unlock(args)
    try:
        created = populate(store)
        extra = []
        for hook in demo_hooks.HOOKS:
            extra.extend(hook(store, created) or [])
    finally:
        store.close()
    if not created:
        print(f"{args.data}: the demo committee is already there; nothing changed")
        return 0
    print("Demo committee created. Demo PINs (shown once, for demonstrations only):")
    for name, roles, seat, pin, username, password in roster():
        label = f"seat {seat:2d}" if seat else "       "
        login = f"  login {username} / {password}" if username else ""
        print(f"  {label}  {name:6s}  {','.join(roles):18s}  PIN {pin}{login}")
    for line in extra:
        print(line)
    if args.passphrase_file and args.passphrase_file.endswith(DEMO_PASSPHRASE_FILE):
        print(f"The demo store's passphrase is in {args.passphrase_file}")
    return 0


def cmd_audit_verify(args):
    from appliance.store import audit

    v = audit.verify(_unlock(args))
    if v.ok:
        print(f"audit log intact: {v.entries} entries, head {v.head}")
        return 0
    print(f"audit log BROKEN at entry {v.broken_at}: {v.reason} ({v.entries} entries before it are intact)")
    return 1


def cmd_passphrase(args):
    from appliance.store.keys import Keyring

    ring = Keyring.load(args.data)
    if ring is None:
        raise StoreError(f"{args.data}: no keyring here")
    old = _read_passphrase(args, prompt="Current passphrase / 当前口令: ")
    if args.new_passphrase_file:
        from appliance.store.keys import read_secret_file

        new = read_secret_file(args.new_passphrase_file).decode("utf-8").rstrip("\r\n")
    else:
        new = getpass.getpass("New passphrase / 新口令: ")
        if getpass.getpass("Again / 再输入一次: ") != new:
            raise StoreError("the two passphrases differ; nothing was changed")
    ring.change_passphrase(old, new)
    print("passphrase changed; the data key was rewrapped, the store itself is unchanged")
    return 0


def cmd_keyfile(args):
    from appliance.store.keys import Keyring

    store = _unlock(args)
    ring = Keyring.load(args.data)
    ring.add_keyfile(store._key, args.out)
    print(f"wrote the unattended key file {args.out}; keep it on a separate USB stick")
    return 0


def cmd_minutes(args):
    from appliance.meetings import core, minutes

    store = _unlock(args)
    try:
        core.get(store, args.meeting)
    except UserError:
        raise StoreError(f"{args.data}: there is no meeting {args.meeting}") from None
    pdf = minutes.render_pdf(store, args.meeting)
    with open(args.out, "wb") as f:
        f.write(pdf)
    print(f"wrote the minutes of meeting {args.meeting} to {args.out} ({len(pdf)} bytes)")
    return 0


def cmd_usb_helper(args):
    from appliance.usb import helper

    return helper.main(args)


def _zh_en(message):
    """'中文 / English' for a user's error on the command line, from the same catalogues as the
    pages (outside a request Flask-Babel gives only the English msgid)."""
    from babel.support import Translations

    from webui import translation_dirs

    args, kwargs = getattr(message, "_args", None), getattr(message, "_kwargs", None) or {}
    if not args:
        return str(message)
    zh = args[0]
    for d in translation_dirs():
        t = Translations.load(d, ["zh_CN"])
        if t.gettext(args[0]) != args[0]:
            zh = t.gettext(args[0])
            break
    return f"{zh % kwargs if kwargs else zh} / {message}"


def cmd_export(args):
    from appliance.usb import export

    if args.archive_passphrase_file and args.encrypted_target:
        raise StoreError("give either --archive-passphrase-file or --encrypted-target, not both")
    archive_passphrase = None
    if args.archive_passphrase_file:
        from appliance.store.keys import read_secret_file

        archive_passphrase = read_secret_file(args.archive_passphrase_file).decode("utf-8").rstrip("\r\n")
    store = _unlock(args)
    try:
        ids = args.meeting or [m["id"] for m in export.exportable_meetings(store, year=args.year)]
        if not ids:
            raise StoreError(f"{args.data}: no closed meeting with minutes in {args.year} / {args.year} 年没有已闭会且有会议记录的会议")
        result = export.export_minutes(store, args.data, ids, args.out, actor_id="cli", encrypted_target=args.encrypted_target,
                                       archive_passphrase=archive_passphrase)
    except UserError as e:
        raise StoreError(_zh_en(e.message)) from None
    finally:
        store.close()
    print(f"wrote {result.path}: meetings {', '.join(map(str, result.meetings))}, {len(result.files)} files, "
          f"{result.total_bytes} bytes{' in an AES-256 7z archive' if result.archive else ''}")
    print(f"signing key fingerprint / 签名公钥指纹: {result.fingerprint}")
    return 0


def cmd_verify_export(args):
    from appliance.usb import verify

    argv = [args.folder] + (["--fingerprint", args.fingerprint] if args.fingerprint else [])
    return verify.main(argv)



def _in_both(message):
    """A translatable message as '中文 / English' (the CLI has no browser to pick a language)."""
    from flask import Flask
    from flask_babel import force_locale

    import webui
    from appliance import i18n

    app = Flask("yishi-cli")
    i18n.init_app(app, webui.translation_dirs())
    with app.app_context():
        texts = []
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                texts.append(str(message))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"


def cmd_usb_import(args):
    """收文: list what a mounted stick holds, then import the chosen files (--all or --file)."""
    from appliance.devices import people
    from appliance.i18n import lazy_gettext as _l
    from appliance.usb import importer

    try:
        found = importer.scan(args.source)
    except UserError as e:
        raise UserError(e.code, _in_both(e.message)) from None
    print(f"{args.source}: {len(found.importable)} to import, {len(found.refused)} refused "
          f"/ 可导入 {len(found.importable)} 个，拒收 {len(found.refused)} 个")
    for c in found.candidates:
        size = "" if c.size is None else f"{c.size / 1024:,.0f} KB"
        line = f"  {'ok' if c.importable else '--'}  {(c.kind or ''):4s} {size:>10s}  {c.path}"
        print(line if c.importable else f"{line}  ({_in_both(c.reason())})")
    if not (args.all or args.file):
        return 0
    if args.all:
        chosen = found.importable
        if not chosen:
            raise UserError("usb_nothing_chosen", _in_both(_l("Choose at least one file to import.")))
    else:
        by_name = {}
        for c in found.candidates:
            by_name.setdefault(c.ref, c)
            by_name.setdefault(c.path, c)
        missing = [n for n in args.file if n not in by_name]
        if missing:
            raise StoreError(f"{missing[0]!r}: no such file on the stick (give the name as listed above)")
        chosen = [by_name[n] for n in args.file]
    if args.circulate is not None:
        target = importer.ToCirculation(args.circulate, groups=tuple(args.to or ("leaders",)))
    else:
        target = importer.ToArchive(args.category)
    store = _unlock(args)
    try:
        actor_id = None
        if args.as_user:
            person = people.by_username(store, args.as_user)
            if person is None:
                raise StoreError(f"{args.as_user!r}: no such user name in {args.data}")
            actor_id = person.id
        try:
            ids = importer.ingest(store, args.source, chosen, actor_id=actor_id, target=target)
        except UserError as e:
            raise UserError(e.code, _in_both(e.message)) from None
    finally:
        store.close()
    print(f"imported {len(ids)} file(s) as document(s) {', '.join(map(str, ids))} / 已导入 {len(ids)} 个文件")
    return 0



def cmd_backup(args):
    from appliance.config import Settings
    from appliance.usb import backup

    keep = args.keep if args.keep is not None else Settings.load(args.data).backup_keep
    store = _unlock(args)
    try:
        path = backup.write_backup(store, args.data, args.out, keep=keep, actor="cli")
        last = backup.last_backup(store)
    except backup.BackupRefused as e:
        raise StoreError(e.in_both()) from None
    finally:
        store.close()
    print(f"wrote {path} ({last.size} bytes, {last.seconds:.1f} s); keeping the newest {keep} in {args.out}")
    return 0


def cmd_restore(args):
    from appliance.usb import backup

    passphrase = _read_passphrase(args, prompt="Passphrase of the backed-up appliance / 备份时的管理员口令: ")
    try:
        done = backup.restore(args.source, args.data, passphrase)
    except backup.BackupRefused as e:
        raise StoreError(e.in_both()) from None
    print(f"restored {args.source} into {done.data_dir}: store {done.store_bytes} bytes, {done.files} other files; "
          f"audit log intact: {done.audit_entries} entries, head {done.audit_head}")
    return 0


def _keep(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 366:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of backups from 1 to 366")
    return n


def parser():
    p = argparse.ArgumentParser(prog="yishi", description="Yishi (议事): paperless meeting appliance")
    p.add_argument("--version", action="version", version=f"yishi {__version__}")
    sub = p.add_subparsers(dest="verb", required=True)

    def data(sp):
        sp.add_argument("--data", required=True, help="data folder (holds yishi.db, keyring.json, tls/)")

    def unlocking(sp):
        sp.add_argument("--passphrase-file", help="file with the admin passphrase")
        sp.add_argument("--key-file", help="unattended key file (instead of the passphrase)")

    sp = sub.add_parser("init", help="create the data folder, TLS certificates and the encrypted store")
    data(sp)
    sp.add_argument("--passphrase-file")
    sp.add_argument("--secrets-only", action="store_true", help="TLS and Wi-Fi secrets only (first boot)")
    sp.add_argument("--room")
    sp.add_argument("--ssid")
    sp.add_argument("--wifi-passphrase")
    sp.add_argument("--public-url", help="address tablets use, e.g. https://yishi.lan")
    sp.set_defaults(func=cmd_init)

    sp = sub.add_parser("serve", help="serve HTTPS (sealed unless a passphrase or key file is given)")
    data(sp)
    unlocking(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8443)
    sp.add_argument("--http-port", type=int, default=None, help="plain-HTTP port that only redirects")
    sp.add_argument("--threads", type=int, default=64,
                    help="request threads per worker (event streams are nginx's, so no thread waits on one)")
    sp.add_argument("--workers", type=_positive, default=min(os.cpu_count() or 1, 64),
                    help="gunicorn worker processes, default one per core (they share the unlocked key "
                         "through the kernel keyring)")
    sp.add_argument("--no-zeroconf", action="store_true")
    sp.add_argument("--advertise-address")
    sp.add_argument("--plain-http", action="store_true", help=argparse.SUPPRESS)
    sp.add_argument("--edge", choices=("child", "none", "off"), default="child",
                    help="nginx in front: run it as a child (default), none: another unit runs it (bind --socket), "
                         "off: gunicorn alone on the port (development)")
    sp.add_argument("--socket", help="the app's Unix socket (default: a private run folder)")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("demo", help="create a demo committee with known PINs")
    data(sp)
    unlocking(sp)
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("pair", help="print the Wi-Fi and pairing QR codes")
    data(sp)
    unlocking(sp)
    sp.add_argument("--png", metavar="OUTDIR", help="also write OUTDIR/wifi.png and OUTDIR/pair.png")
    sp.add_argument("--url", help="base URL tablets use (default: settings, else https://yishi.lan)")
    sp.set_defaults(func=cmd_pair)

    sp = sub.add_parser("audit", help="the audit log")
    asub = sp.add_subparsers(dest="audit_verb", required=True)
    v = asub.add_parser("verify", help="walk the hash chain and report the first broken link")
    data(v)
    unlocking(v)
    v.set_defaults(func=cmd_audit_verify)

    sp = sub.add_parser("minutes", help="write a meeting's minutes as a PDF")
    data(sp)
    unlocking(sp)
    sp.add_argument("meeting", type=int, help="meeting number")
    sp.add_argument("--out", required=True, help="FILE.pdf")
    sp.set_defaults(func=cmd_minutes)

    sp = sub.add_parser("export", help="export archived minutes (议事导出) as a signed bag into a folder, e.g. a mounted stick")
    data(sp)
    unlocking(sp)
    which = sp.add_mutually_exclusive_group(required=True)
    which.add_argument("--meeting", type=int, action="append", metavar="ID", help="a closed meeting's number (repeat for more)")
    which.add_argument("--year", type=int, help="every closed meeting with minutes of that year")
    sp.add_argument("--out", required=True, metavar="PATH", help="an existing folder; the export is made inside it")
    sp.add_argument("--archive-passphrase-file", metavar="FILE",
                    help="write one AES-256 7z archive with encrypted headers, with the passphrase in FILE")
    sp.add_argument("--encrypted-target", action="store_true",
                    help="PATH is on a LUKS-encrypted stick (classified meetings are refused otherwise)")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("verify-export", help="check an export's signature and every hash, offline")
    sp.add_argument("folder", help="the export folder (议事导出-…)")
    sp.add_argument("--fingerprint", help="the key fingerprint printed in the minutes, to compare with")
    sp.set_defaults(func=cmd_verify_export)

    sp = sub.add_parser("passphrase", help="change the admin passphrase (rewraps the key)")
    data(sp)
    sp.add_argument("--passphrase-file", help="file with the current passphrase")
    sp.add_argument("--new-passphrase-file")
    sp.set_defaults(func=cmd_passphrase)

    sp = sub.add_parser("keyfile", help="write an unattended key file for a separate USB stick")
    data(sp)
    unlocking(sp)
    sp.add_argument("--out", required=True)
    sp.set_defaults(func=cmd_keyfile)

    sp = sub.add_parser("usb-helper", help="the privileged USB helper for one stick (started by udev, as root)")
    sp.add_argument("device", help="the stick's kernel name (sda1, sdb, loop3)")
    sp.add_argument("--channel", help="the channel folder (default /run/yishi-usb)")
    sp.add_argument("--spool", help="the spool folder (default /var/lib/yishi-usb)")
    sp.add_argument("--mount-base", help="where the stick is mounted (default: the unit's private /tmp)")
    sp.set_defaults(func=cmd_usb_helper)

    sp = sub.add_parser("usb-import", help="收文: list a mounted stick's documents and import the chosen ones")
    data(sp)
    unlocking(sp)
    sp.add_argument("--from", dest="source", required=True, metavar="MOUNTED_DIR",
                    help="the stick's folder, mounted read-only")
    where = sp.add_mutually_exclusive_group()
    where.add_argument("--category", default="收文", help="file into the archive under this category (default 收文)")
    where.add_argument("--circulate", metavar="TITLE", help="start a new circulation with this title instead")
    sp.add_argument("--to", action="append", metavar="GROUP",
                    help="circulation recipients: members, attendees, staff, leaders, everyone (default leaders)")
    sp.add_argument("--as", dest="as_user", metavar="USERNAME", help="the staff member importing (needed to circulate)")
    which = sp.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="import every file that can be imported")
    which.add_argument("--file", action="append", metavar="NAME", help="import this file (as listed; repeat)")
    sp.set_defaults(func=cmd_usb_import)

    sp = sub.add_parser("backup", help="write an encrypted backup of the whole appliance into a folder (the backup stick)")
    data(sp)
    unlocking(sp)
    sp.add_argument("--out", required=True, help="folder to write the backup into")
    sp.add_argument("--keep", type=_keep, help="keep the newest N backups there (default: the backup_keep setting, 7)")
    sp.set_defaults(func=cmd_backup)

    sp = sub.add_parser("restore", help="restore a backup onto a new, empty data folder")
    sp.add_argument("--from", dest="source", required=True, metavar="FILE", help="the backup file")
    sp.add_argument("--data", required=True, help="the new data folder (missing or empty)")
    sp.add_argument("--passphrase-file", help="file with the admin passphrase of the backed-up appliance")
    sp.set_defaults(func=cmd_restore)
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if getattr(args, "data", None):
        # `make run` says --data data. nginx resolves a relative path against its own prefix
        # (data/edge/data/edge/error.log) and gunicorn's workers may not share our cwd.
        args.data = os.path.abspath(args.data)
    try:
        return args.func(args) or 0
    except (StoreError, UserError) as e:
        print(f"yishi: {getattr(e, 'message', e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
