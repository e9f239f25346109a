import sys

from cosmos_tui.cli import main

sys.exit(main())
