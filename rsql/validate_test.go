package rsql

import (
	"errors"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	cat := newTestCatalogue()
	valid := []string{
		`name==nginx;registry!=docker.io;name=lt=m;name=ge=a;name=in=(a,b);name=out=("",x)`,
		`tags.env==prod;image_labels.maintainer=="Jane Doe"`,
		`class==A;class=in=(B,C);class!=C;class=gt=A`,
		`class==*;class!=*test*;class==a*;class==*B`,
		`risk_score==42;risk_score=gt=-7;risk_score<=3.25;risk_score=in=(+1,2);risk_score>0.0`,
		`created_at=ge=2024-01-02;created_at<2024-01-02T15:04:05Z;created_at=le=2024-01-02T15:04:05.123+02:00`,
		`active==true;active!=false;active=in=(true,false);active=out=(true)`,
		`q==nginx;q=="free text with spaces";q==""`,
		`digest==sha256:abc;digest=in=(x)`,
		`name=like=ngi*;risk_score=like=4*;class=like=?`,
		`geo=near=(1,2);geo==x`,
		`name==a,(class==A;active==true)`,
		`risk_score=="";risk_score!='';created_at=in=("",2024-01-01);created_at=out=('');class==""`,
	}
	for _, in := range valid {
		n, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if err := Validate(n, cat); err != nil {
			t.Errorf("Validate(%q): %v", in, err)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	cat := newTestCatalogue()
	tests := []struct {
		name, in string
		pos      int
		want     string
	}{
		{"unknown selector", `name==x;nope==1`, 8, `at 8: unknown selector "nope"`},
		{"unknown prefix key", `tags==x`, 0, `at 0: unknown selector "tags"`},
		{"unknown family", `foo.bar==x`, 0, `at 0: unknown selector "foo.bar"`},
		{"unknown custom operator", `name=regex=x`, 0, `at 0: unknown operator '=regex='`},
		{"upper case IN is custom", `class=IN=(A)`, 0, `at 0: unknown operator '=IN='`},
		{"boolean ordering", `active=gt=true`, 0, `at 0: operator '=gt=' is not allowed for "active" (boolean): allowed are ==, !=, =in=, =out=, =like=, =near=`},
		{"text only equal", `q!=x`, 0, `at 0: operator '!=' is not allowed for "q" (text): allowed are ==`},
		{"text in", `q=in=(x)`, 0, `at 0: operator '=in=' is not allowed for "q" (text): allowed are ==`},
		{"text custom", `q=like=x`, 0, `at 0: operator '=like=' is not allowed for "q" (text): allowed are ==`},
		{"field operator list", `digest=out=(x)`, 0, `at 0: operator '=out=' is not allowed for "digest" (string): allowed are ==, !=, =in=`},
		{"field list without custom", `digest=like=x`, 0, `at 0: operator '=like=' is not allowed for "digest" (string): allowed are ==, !=, =in=`},
		{"field list custom not in catalogue", `name==x;geo=far=x`, 8, `at 8: unknown operator '=far='`},
		{"number word", `risk_score=gt=high`, 0, `at 0: "high" for "risk_score": expected a number such as 42 or -1.5`},
		{"number empty in a range", `risk_score=gt=""`, 0, `at 0: "" for "risk_score": expected a number such as 42 or -1.5`},
		{"number exponent", `risk_score==1e3`, 0, `at 0: "1e3" for "risk_score": expected a number such as 42 or -1.5`},
		{"number trailing dot", `risk_score==1.`, 0, `at 0: "1." for "risk_score": expected a number such as 42 or -1.5`},
		{"number leading dot", `risk_score==.5`, 0, `at 0: ".5" for "risk_score": expected a number such as 42 or -1.5`},
		{"number sign only", `risk_score==-`, 0, `at 0: "-" for "risk_score": expected a number such as 42 or -1.5`},
		{"number NaN", `risk_score==NaN`, 0, `at 0: "NaN" for "risk_score": expected a number such as 42 or -1.5`},
		{"number wildcard", `risk_score==5*`, 0, `at 0: "5*" for "risk_score": expected a number such as 42 or -1.5`},
		{"number in list", `risk_score=in=(1,2,x)`, 0, `at 0: "x" for "risk_score": expected a number such as 42 or -1.5`},
		{"timestamp month", `created_at>2024-13-01`, 0, `at 0: "2024-13-01" for "created_at": expected an RFC 3339 date-time such as 2024-01-02T15:04:05Z or a date such as 2024-01-02`},
		{"timestamp no zone", `created_at>2024-01-02T10:00:00`, 0, `at 0: "2024-01-02T10:00:00" for "created_at": expected an RFC 3339 date-time such as 2024-01-02T15:04:05Z or a date such as 2024-01-02`},
		{"timestamp words", `created_at>yesterday`, 0, `at 0: "yesterday" for "created_at": expected an RFC 3339 date-time such as 2024-01-02T15:04:05Z or a date such as 2024-01-02`},
		{"enum case-sensitive", `class==a`, 0, `at 0: "a" for "class": expected one of A, B, C`},
		{"enum wildcard in a list is literal", `class=in=(A*)`, 0, `at 0: "A*" for "class": expected one of A, B, C`},
		{"enum wildcard in a range", `class=gt=A*`, 0, `at 0: "A*" for "class": expected one of A, B, C`},
		{"enum in list", `name==x;class=out=(A,D)`, 8, `at 8: "D" for "class": expected one of A, B, C`},
		{"boolean", `active==yes`, 0, `at 0: "yes" for "active": expected true or false`},
		{"boolean case", `active==TRUE`, 0, `at 0: "TRUE" for "active": expected true or false`},
		{"first error wins", `nope==1;active==yes`, 0, `at 0: unknown selector "nope"`},
		{"position in group", `name==x,(active==true; é.x==1)`, 23, `at 23: unknown selector "é.x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			err = Validate(n, cat)
			if err == nil {
				t.Fatalf("Validate(%q) = nil, want error", tt.in)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Validate(%q) error %T, want *Error", tt.in, err)
			}
			if pe.Pos != tt.pos {
				t.Errorf("Validate(%q) pos = %d, want %d", tt.in, pe.Pos, tt.pos)
			}
			if err.Error() != tt.want {
				t.Errorf("Validate(%q)\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestValidateNilNode(t *testing.T) {
	if err := Validate(nil, newTestCatalogue()); err == nil || err.Error() != "at 0: empty filter" {
		t.Fatalf("Validate(nil) = %v", err)
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2024-01-02T15:04:05Z", time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2024-01-02T15:04:05.5Z", time.Date(2024, 1, 2, 15, 4, 5, 500_000_000, time.UTC)},
		{"2024-01-02T15:04:05+02:00", time.Date(2024, 1, 2, 13, 4, 5, 0, time.UTC)},
		{"2024-01-02T15:04:05-05:30", time.Date(2024, 1, 2, 20, 34, 5, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTimestamp(tt.in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got, _ := ParseTimestamp("2024-01-02"); got.Location() != time.UTC {
		t.Errorf("date-only location = %v, want UTC", got.Location())
	}
	for _, in := range []string{"", "2024-1-2", "2023-02-29", "2024-01-02T15:04", "2024-01-02 15:04:05Z", "2024-01-02T15:04:05", "02/01/2024", "1704153600"} {
		_, err := ParseTimestamp(in)
		if err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded, want error", in)
			continue
		}
		want := quoteText(in) + " is not an RFC 3339 date-time or an ISO 8601 date (YYYY-MM-DD)"
		if err.Error() != want {
			t.Errorf("ParseTimestamp(%q) error %q, want %q", in, err, want)
		}
	}
}

func TestDefaultOpsMatchAllowed(t *testing.T) {
	std := []Operator{OpEqual, OpNotEqual, OpLess, OpLessEqual, OpGreater, OpGreaterEqual, OpIn, OpOut}
	var v validator
	for _, typ := range []FieldType{TypeString, TypeNumber, TypeTimestamp, TypeEnum, TypeBoolean, TypeText, "unknown"} {
		listed := map[Operator]bool{}
		for _, op := range defaultOps(typ) {
			listed[op] = true
		}
		for _, op := range std {
			if got := v.allowed(Field{Type: typ}, op, true); got != listed[op] {
				t.Errorf("%s %s: allowed = %v, defaultOps lists it: %v", typ, op, got, listed[op])
			}
		}
	}
}
