from jingzhi.cli import main

main()
