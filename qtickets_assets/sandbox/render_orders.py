"""Orders, baskets and clients as the real API spells them (34 order keys, 37 basket keys, PII included)."""

from __future__ import annotations

from typing import Any

from qtickets_assets.sandbox.model import Basket, Client, Order
from qtickets_assets.sandbox.render import money, msk, php_map


def render_basket(basket: Basket, order: Order) -> dict[str, Any]:
    c = order.client
    token = f"{order.uniqid}/{basket.barcode[-4:]}"
    return {
        "id": basket.id,
        "series": f"88{order.event_id}",
        "barcode": basket.barcode,
        "show_id": basket.show_id,
        "seat_id": basket.seat_root_id,
        "seat_name": basket.seat_name,
        "original_price": money(basket.original_price),
        "ticket_original_price": money(basket.original_price),
        "discount_value": money(basket.original_price - basket.price) if order.discount_id else None,
        "price": money(basket.price),
        "ticket_amount": money(basket.price),
        "service_fee_amount": money(basket.service_fee),
        "multiprice_code": basket.multiprice_code,
        "quantity": basket.quantity,
        "client_email": c.email,
        "client_phone": c.phone,
        "client_name": c.name,
        "client_surname": c.surname,
        "client_middlename": c.middlename,
        "organization_name": None,
        "legal_name": None,
        "work_position": None,
        "inn": None,
        "kpp": None,
        "comment": None,
        "pdf_url": f"https://qtickets.ru/ticket/pdf/{token}",
        "passbook_url": f"https://qtickets.ru/ticket/passbook/{token}",
        "related_baskets": [],
        "services": [],
        "refunds": [] if basket.refunded_amount is None else [{"amount": money(basket.refunded_amount)}],
        "checked_at": msk(basket.checked_at),
        "created_at": msk(basket.created_at),
        "updated_at": msk(basket.updated_at),
        "deleted_at": msk(basket.deleted_at),
        "refunded_at": msk(basket.refunded_at),
        "refunded_amount": money(basket.refunded_amount),
        "refunded_deduction_amount": money(basket.refunded_deduction),
    }


def render_client(c: Client) -> dict[str, Any]:
    return {
        "id": c.id,
        "email": c.email,
        "details": {
            "id": c.details_id,
            "name": c.name,
            "middlename": c.middlename,
            "surname": c.surname,
            "phone": c.phone,
            "vk_id": "",
            "facebook_id": "",
        },
    }


def render_order(order: Order) -> dict[str, Any]:
    original = sum(b.original_price for b in order.baskets)
    return {
        "id": order.id,
        "uniqid": order.uniqid,
        "payed": order.payed,
        "payed_at": msk(order.payed_at),
        "client_id": order.client.id,
        "client": render_client(order.client),
        "site_id": None if order.site is None else order.site.id,
        "site": None if order.site is None else {"id": order.site.id, "host": order.site.host},
        "payment_id": 12133,
        "payment_type_id": order.payment_type_id,
        "payment_card_number": order.card_number if order.payed else None,
        "payment_url": f"https://qtickets.ru/pay/{order.uniqid}",
        "cancel_url": f"https://qtickets.ru/cancel-order/{order.uniqid}/{order.id:032x}",
        "basket_user_id": 7_700_000 + order.client.id,
        "backend_user_id": None,
        "access_code_id": None,
        "discount_id": order.discount_id,
        "promo_code_id": order.promo_code_id,
        "reserved": not order.payed and order.deleted_at is None,
        "reserved_to": msk(order.reserved_to),
        "reserve_extended": False,
        "event_id": order.event_id,
        "price": money(sum(b.price for b in order.baskets)),
        "original_price": money(original),
        "currency_id": order.currency_id,
        "utm": php_map(order.utm),
        # Both forms the docs give (§3): an object, or PHP's empty "" / []. The client keeps neither.
        "custom": {"button": "main", "widget_id": str(order.id % 97)} if order.id % 5 == 0 else "",
        "fields": {"organization_name": "ООО «Ромашка»", "inn": "7701234567"} if order.id % 11 == 0 else [],
        "baskets": [render_basket(b, order) for b in order.baskets],
        "refunds": [{"amount": money(a), "created_at": msk(t)} for a, t in order.refunds],
        "integrations": {"roistat": {"roistat_visit": str(100000 + order.id % 1000)}}
        if order.id % 7 == 0
        else [],
        "created_at": msk(order.created_at),
        "updated_at": msk(order.updated_at),
        "deleted_at": msk(order.deleted_at),
    }
