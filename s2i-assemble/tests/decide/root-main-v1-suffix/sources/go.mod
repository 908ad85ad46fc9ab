module example.com/tool/v1

go 1.22
