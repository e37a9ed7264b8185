"""The read side for the campaign site: honour boards and publicity notices."""

import pytest

from points.selectors.scoring import honour_board_list, honour_board_periods, publicity_list

pytestmark = pytest.mark.django_db


def test_nothing_published_gives_empty_lists(tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert honour_board_list(area=tree["district"]) == []
    assert honour_board_periods(area=tree["district"]) == []
    assert publicity_list(area=tree["town"]) == []
