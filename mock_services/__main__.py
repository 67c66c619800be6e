import sys

from mock_services.cli import main

sys.exit(main())
