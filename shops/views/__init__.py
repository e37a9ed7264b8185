"""Pages of the 美家超市 by topic: the counter and the villager's code, cards, settlement."""
