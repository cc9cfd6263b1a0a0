"""seed_1m_s: seconds for `demo seed --contacts 1000000` into an empty database (slower backend)."""
import time

from bench._audience import app_with_schema, measure

CONTACTS = 1_000_000


def run_in_child():
    from webapp.audience.seed import seed_demo

    with app_with_schema().app_context():
        started = time.perf_counter()
        seed_demo(CONTACTS)
        print(f"seed_1m_s: {time.perf_counter() - started:.2f}")


def main():
    measure("bench.seed:run_in_child", "seed_1m_s")


if __name__ == "__main__":
    main()
