"""Issue prioritisation: every open issue scored as F × U × S × B ÷ E, ranked and categorised."""
