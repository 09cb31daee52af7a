from jingzhi.vision.synth.cli import main

raise SystemExit(main())
