"""The review page shows the queue a page at a time, in the queue's own order."""

from __future__ import annotations

from services.consultation.service_layer.theming_review import page_of


def _queue(n: int) -> list[dict[str, object]]:
    return [{"response_id": str(i), "needs_person": i < 3} for i in range(n)]


def test_pages_keep_the_queue_order_and_count_the_whole() -> None:
    queue = _queue(45)
    second = page_of(queue, 2, per_page=20)
    assert [a["response_id"] for a in second.answers] == [str(i) for i in range(20, 40)]
    assert (second.page, second.pages, second.total, second.needs_person) == (2, 3, 45, 3)
    assert len(page_of(queue, 3, per_page=20).answers) == 5


def test_a_page_past_the_end_shows_the_last_and_an_empty_queue_has_one_page() -> None:
    assert page_of(_queue(45), 99, per_page=20).page == 3
    empty = page_of([], 1)
    assert (empty.page, empty.pages, empty.answers) == (1, 1, [])
