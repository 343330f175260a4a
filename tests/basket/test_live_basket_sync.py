"""A customer's basket on two devices stays in step (server-sent events)."""

import json
import threading
import time

from services.basket.live import RedisFeed
from tests.basket.harness import NORTHWIND, VOLT, build_shop, sqlite_url
from tests.support.services import REDIS_URL, missing, reachable

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


class Listener:
    """One open event stream, read in the background until stopped."""

    def __init__(self, shopper, path="/baskets/mine/events"):
        self.response = shopper.http.get(
            "/api/basket" + path, headers=shopper.headers(), buffered=False
        )
        self.notices, self.keep_alives = [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self):
        for chunk in self.response.response:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            if text.startswith("event: basket"):
                self.notices.append(json.loads(text.split("data: ", 1)[1]))
            elif text.startswith(": keep-alive"):
                self.keep_alives += 1
            if self._stop.is_set():
                break
        self.response.close()

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()


def test_a_change_on_the_phone_reaches_the_laptop_and_no_one_else(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shop.app.extensions["basket"].keep_alive_s = 0.2
    laptop = shop.client(NORTHWIND).sign_in("customer-hal")
    phone = shop.client(NORTHWIND).sign_in("customer-hal")
    other_customer = shop.client(NORTHWIND).sign_in("customer-ivy")
    same_id_on_volt = shop.client(VOLT).sign_in("customer-hal", VOLT)
    basket = laptop.new_basket("web")

    streams = [Listener(c) for c in (laptop, phone, other_customer, same_id_on_volt)]
    assert streams[0].response.mimetype == "text/event-stream"
    wait_for(lambda: all(s.keep_alives for s in streams))
    mine = phone.call("GET", "/baskets/mine").get_json()
    phone.add_bundle(mine["id"], SIM_ONLY)
    wait_for(lambda: streams[0].notices and streams[1].notices)
    time.sleep(0.5)
    for stream in streams:
        stream.stop()

    print(
        f"\nnotices: laptop {len(streams[0].notices)}, phone "
        f"{len(streams[1].notices)}, other customer {len(streams[2].notices)}, "
        f"same id on Volt {len(streams[3].notices)}"
    )
    expected = {
        "basket_id": basket["id"],
        "status": "open",
        "bundles": 1,
        "due_today": 0,
        "per_month": 1300,
    }
    assert streams[0].notices == [expected]
    assert streams[1].notices == [expected]
    assert streams[2].notices == [] and streams[3].notices == []
    assert streams[2].keep_alives > 0


def test_a_guest_has_no_basket_stream(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    guest = shop.client(NORTHWIND)
    guest.new_basket("web")

    answer = guest.call("GET", "/baskets/mine/events")

    assert answer.status_code == 401


def test_the_redis_feed_reaches_another_worker():
    if not reachable(REDIS_URL, 6379):
        missing("Redis", REDIS_URL)
    worker_a, worker_b = RedisFeed(REDIS_URL), RedisFeed(REDIS_URL)
    subscription = worker_b.subscribe("tenant-1", "customer-jo")
    other = worker_b.subscribe("tenant-2", "customer-jo")
    subscription.get(0.5)  # let the subscription settle

    worker_a.publish("tenant-1", "customer-jo", {"basket_id": "b-1"})

    assert subscription.get(2.0) == {"basket_id": "b-1"}
    assert other.get(0.3) is None
    subscription.close()
    other.close()
