from django.db import models
from django.utils.translation import gettext_lazy as _


class PhoneCode(models.Model):
    """One dynamic code shown on a villager's phone: valid about a minute, usable once.

    The QR carries a signed token naming ``nonce``; ``digits`` is the short number printed under
    it for typing. Expired rows are purged by a beat task; a token whose row is gone is refused
    as expired by the time inside its signature.
    """

    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        related_name="phone_codes",
        verbose_name=_("household"),
    )
    nonce = models.CharField(max_length=16, unique=True)
    digits = models.CharField(max_length=8, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    # The first time a counter showed the household: a confirmation may follow within
    # registry.services.codes.PHONE_CODE_CONFIRM_WINDOW of it (never of the issue).
    previewed_at = models.DateTimeField(_("previewed at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_for = models.CharField(_("used for"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")

    def __str__(self) -> str:
        return f"PhoneCode({self.pk})"
