package shop

const Name = "shop"
