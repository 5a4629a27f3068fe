module github.com/throughline/throughline/tools/phonegen

go 1.25.0

require github.com/nyaruka/phonenumbers v1.8.1

require (
	golang.org/x/text v0.23.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
