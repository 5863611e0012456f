from sap_clone.api.main import SPEC
from servicekit.runner import serve

serve(SPEC)
