"""Queue IDs taken by the local delivery thread and the loop's workers: one owner each."""

from __future__ import annotations

import threading

from appliance.queue.claims import Claims


def test_exactly_one_of_many_threads_claims_an_id() -> None:
    claims = Claims()
    start = threading.Barrier(8)
    won: list[int] = []
    rounds = 500

    def contend(n: int) -> None:
        start.wait()
        for i in range(rounds):
            if claims.claim(f"Q{i}"):
                won.append(i)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == list(range(rounds))  # every ID once, never twice


def test_release_lets_the_next_owner_in() -> None:
    claims = Claims()
    assert claims.claim("A") and "A" in claims and not claims.claim("A")
    claims.release("A")
    assert "A" not in claims and claims.claim("A") and len(claims) == 1
