from integration_platform.api.main import SPEC
from servicekit.runner import serve

serve(SPEC)
