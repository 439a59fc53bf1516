import CouchQueueCLI

await CouchQueueCommand.start()
