import pytest
import schemathesis
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture
def api_schema():
    """The API's OpenAPI schema for schemathesis, its calls going to the WSGI application in this
    process (and so to the test's database transaction)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    # as Django's test client does: the request must not close the test's connection (it holds
    # the test's transaction, rolled back at the end)
    request_started.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
