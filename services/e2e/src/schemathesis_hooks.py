"""Schemathesis hooks of the hostile-clients test (loaded through SCHEMATHESIS_HOOKS).

What the gateway's OpenAPI document cannot say in JSON Schema is said to the
generator here instead, so that a schema-valid request is one the API accepts.
"""

import schemathesis


@schemathesis.hook
def filter_body(context, body):
    """A PlaceOrderRequest names each product at most once: JSON Schema has no uniqueness by property."""
    operation = context.operation
    if operation is None or operation.method.upper() != "POST" or operation.path != "/api/v1/orders":
        return True
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return True
    # Only string ids can repeat a product; a generator's other values (lists, objects) are the API's to refuse.
    ids = [item.get("productId") for item in items if isinstance(item, dict) and isinstance(item.get("productId"), str)]
    return len(ids) == len(set(ids))
