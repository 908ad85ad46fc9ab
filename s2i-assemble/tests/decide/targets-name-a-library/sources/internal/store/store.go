package store

const Name = "store"
