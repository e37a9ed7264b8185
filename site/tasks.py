from celery import shared_task

from meijia.sms import SmsGatewayError, sms_deliver


@shared_task(autoretry_for=(SmsGatewayError,), retry_backoff=5, retry_backoff_max=60, max_retries=5)
def send_sms(phone: str, text: str) -> None:
    sms_deliver(phone=phone, text=text)
