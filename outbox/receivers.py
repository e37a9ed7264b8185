def claim_on_sign_in(sender, request, user, **kwargs) -> None:
    """A villager's first sign-in finds the messages already sent to their phone in the inbox."""
    from outbox.services import inbox_claim

    inbox_claim(user=user)
