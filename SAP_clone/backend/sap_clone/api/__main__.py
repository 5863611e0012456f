from servicekit.runner import serve

from sap_clone.api.main import SPEC

serve(SPEC)
