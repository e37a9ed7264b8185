"""Campaign pages under gunicorn on PostgreSQL: requests a second with the page cache empty
(cold) and full (warm), as a ratio, and what a phone downloads for the village section page.

    DATABASE_URL=postgres://user@host:port/db REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/pages.py [--requests 200] [--households 2000]

A database ``meijia_bench_pages_<pid>`` is created on the server of ``DATABASE_URL``, migrated,
seeded with ``seed_demo`` (which builds the demo campaign site) and dropped at the end. gunicorn
serves the project (2 sync workers, DEBUG off) with the page cache in Redis (``REDIS_URL``; its
database is emptied). One client sends the requests one after another, so requests a second are
1 / mean latency seen by the client. Cold: the Redis database is emptied before every request
(the emptying is not timed), so each request routes, queries and renders the page. Warm: the same
URL again and again, served from the page cache.

Page weight: the village section page's HTML, the stylesheets and scripts it links, and the
images of its first screen (the first three pictures, the WebP source the phone picks), in KB
as sent (no compression; a proxy's gzip would shrink HTML and CSS further).

The target: the warm village section serves at least five times the cold rate.

Recorded result, on a loaded 2-vCPU container (PostgreSQL and Redis on localhost), 100 requests,
after merging the scoring and shops branches (the section page now shows publicity and the base
page loads scanner.js):

    campaign article  /meizaijiating/     cold 15.7 req/s   warm 449.5 req/s   warm ÷ cold 28.6
    village section   /town/village-1/    cold 12.5 req/s   warm 591.7 req/s   warm ÷ cold 47.4
    village section page weight on a phone: 27.4 KB (HTML 6.7 KB, CSS 8.6 KB, JS 6.9 KB,
    first-screen images (3) 5.1 KB)
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from scratch import create_database, drop_database  # noqa: E402

PICTURES_ON_FIRST_SCREEN = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout


def page_urls(env: dict) -> dict[str, str]:
    script = (
        "from campaigns.models import CampaignPage, VillageSectionPage;"
        "print(CampaignPage.objects.live().first().url);"
        "print(VillageSectionPage.objects.live().filter(title='杏花村').first().url)"
    )
    out = run(env, "shell", "-c", script).split()
    return {"campaign article": out[-2], "village section": out[-1]}


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, dict]:
    conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "zh-CN"})
    response = conn.getresponse()
    body = response.read()
    return response.status, body, dict(response.getheaders())


def measure(port: int, path: str, *, requests: int, cold: bool, redis_client) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    get(conn, path)  # warm the connection and the workers' imports
    spent = 0.0
    for _ in range(requests):
        if cold:
            redis_client.flushdb()
        started = time.perf_counter()
        status, _body, headers = get(conn, path)
        spent += time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        expected = "hit" if not cold else "miss"
        if headers.get("X-Page-Cache") != expected:
            raise SystemExit(f"{path}: expected a cache {expected}, got {headers}")
    conn.close()
    return requests / spent


def page_weight(port: int, path: str, media_root: Path) -> dict[str, int]:
    from django.contrib.staticfiles import finders

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _status, html, _headers = get(conn, path)
    conn.close()
    text = html.decode()
    css = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', text)
    js = re.findall(r'<script[^>]+src="/static/([^"]+)"', text)

    def static_size(name: str) -> int:
        found = finders.find(name.split("?")[0])
        return Path(found).stat().st_size if found else 0

    pictures = re.findall(r"<picture>(.*?)</picture>", text, flags=re.S)[:PICTURES_ON_FIRST_SCREEN]
    images = 0
    for picture in pictures:
        source = re.search(r'<source srcset="/media/([^" ,]+)', picture) or re.search(
            r'src="/media/([^"]+)"', picture
        )
        if source:
            images += (media_root / source.group(1)).stat().st_size
    return {
        "HTML": len(html),
        "CSS": sum(static_size(name) for name in css),
        "JS": sum(static_size(name) for name in js),
        f"first-screen images ({len(pictures)})": images,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--households", type=int, default=2000)
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
    if not base_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server.")
    name = f"meijia_bench_pages_{os.getpid()}"
    media_root = Path(tempfile.mkdtemp(prefix=f"{name}-media-"))
    url = create_database(base_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(media_root),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_SETTINGS_MODULE": "meijia.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    server = None
    try:
        run(env, "migrate", "--noinput", "-v0")
        run(env, "seed_demo", "--households", str(args.households), "--quiet")
        urls = page_urls(env)
        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "meijia.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        import redis

        redis_client = redis.Redis.from_url(redis_url)
        sys.path.insert(0, str(ROOT))
        os.environ.update(env)
        import django

        django.setup()
        print(f"gunicorn, 2 workers, PostgreSQL, Redis page cache; {args.requests} requests each")
        ratios = {}
        for label, path in urls.items():
            redis_client.flushdb()
            cold = measure(port, path, requests=args.requests, cold=True, redis_client=redis_client)
            warm = measure(
                port, path, requests=args.requests, cold=False, redis_client=redis_client
            )
            ratios[label] = warm / cold
            print(
                f"  {label:17} {path}\n"
                f"    cold {cold:8.1f} req/s   warm {warm:8.1f} req/s   warm ÷ cold {warm / cold:5.1f}"
            )
        weight = page_weight(port, urls["village section"], media_root)
        total = sum(weight.values())
        parts = ", ".join(f"{part} {size / 1024:.1f} KB" for part, size in weight.items())
        print(f"  village section page weight on a phone: {total / 1024:.1f} KB ({parts})")
        verdict = "met" if ratios["village section"] >= 5 else "NOT met"
        print(f"  target warm ÷ cold ≥ 5 for the village section: {verdict}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        drop_database(base_url, name)
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    main()
