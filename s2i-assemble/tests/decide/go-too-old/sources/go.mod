module example.com/future

go 1.99
