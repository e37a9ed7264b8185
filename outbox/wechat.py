"""The WeChat channel: a template message from the official account (wechatpy, a kept client
library), to a person whose OpenID allauth's weixin provider kept at WeChat sign-in
(``SocialAccount.uid``). On when WEIXIN_APP_ID, WEIXIN_APP_SECRET and WEIXIN_NOTICE_TEMPLATE_ID
are set. The access token is shared through Django's cache (Redis in production), not kept per
process. A refusal (the person does not follow the account, blocked it, a bad OpenID) is final
for WeChat: the outbox falls back to SMS.
"""

from django.conf import settings
from django.core.cache import cache
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

PROVIDER = "weixin"
# errcodes that will not change by trying again: not following, invalid OpenID, refused by the
# person, template not allowed for this account.
REFUSALS = {40003, 40037, 43004, 43019, 43101, 47003}


class WeChatRefused(Exception):
    """WeChat will not deliver this message to this person; send it another way."""


class _CacheStorage(SessionStorage):
    def get(self, key, default=None):
        return cache.get(f"wechat:{key}", default)

    def set(self, key, value, ttl=None):
        cache.set(f"wechat:{key}", value, ttl)

    def delete(self, key):
        cache.delete(f"wechat:{key}")


def wechat_enabled() -> bool:
    return bool(
        getattr(settings, "WEIXIN_APP_ID", None)
        and getattr(settings, "WEIXIN_APP_SECRET", None)
        and getattr(settings, "WEIXIN_NOTICE_TEMPLATE_ID", None)
    )


def wechat_deliver(*, openid: str, title: str, text: str) -> None:
    """Send one template message ("first" = the title, "keyword1" = the text). Raises
    WeChatRefused for a final refusal; any other error propagates (the outbox retries)."""
    client = WeChatClient(
        settings.WEIXIN_APP_ID, settings.WEIXIN_APP_SECRET, session=_CacheStorage()
    )
    try:
        client.message.send_template(
            openid,
            settings.WEIXIN_NOTICE_TEMPLATE_ID,
            {"first": {"value": title}, "keyword1": {"value": text}, "remark": {"value": ""}},
        )
    except WeChatClientException as error:
        if error.errcode in REFUSALS:
            raise WeChatRefused(f"wechat {error.errcode}") from error
        raise
