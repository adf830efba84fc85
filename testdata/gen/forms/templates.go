package forms

import (
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/testdata/gen/scanset"
)

// The document types, each after the forms desks receive (the Ministry of
// Justice's civil status forms, the Ministry of Public Security's residence
// and vehicle forms, the land registration forms), with the wordings and
// layouts that vary between their editions and between offices.

func ward(a address) string { return a.loc.ward }

// wardOffice is the commune-level People's Committee an application is
// addressed to.
func wardOffice(a address) string {
	return fmt.Sprintf("Ủy ban nhân dân %s, %s", a.loc.ward, a.province().name)
}

func signed(title, name string) scanset.SignBlock {
	return scanset.SignBlock{Titles: []string{title}, Note: "(Ký, ghi rõ họ tên)", Name: name, Signed: true}
}

// landChange is the application to register a change of land use rights
// (Mẫu 11/ĐK): the land user, perhaps the spouse, the certificate and the
// change.
func landChange(f *form) {
	h := randomHousehold(f.rng)
	owner := h.husband
	if f.rng.IntN(3) == 0 {
		owner = h.wife
	}
	filed := randomDate(f.rng, 2024, 2025)
	prov := owner.home.province()
	f.d = scanset.NewDoc("land-change", 12).Motto().Space(2)
	f.d.Title(13, pick(f.rng, []string{"ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT", "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI"})).Space(2)
	f.d.Field("Kính gửi:", "Văn phòng đăng ký đất đai "+prov.name)
	f.d.Heading("I. PHẦN KÊ KHAI CỦA NGƯỜI ĐĂNG KÝ")
	f.d.Left("1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất:")
	p := f.person(RoleRegistered)
	f.name(p, pick(f.rng, []string{"1.1. Tên (viết chữ in hoa):", "Họ và tên:", "a) Họ và tên:"}), owner)
	f.dobGender(p, owner)
	f.id(p, owner, true)
	f.permanent(p, owner)
	f.phone(p, owner)
	if f.rng.IntN(2) == 0 {
		spouse := h.wife
		term := "vợ"
		if owner.female {
			spouse, term = h.husband, "chồng"
		}
		s := f.person(RoleSpouse)
		f.name(s, pick(f.rng, []string{"Họ và tên " + term + ":", "Họ, chữ đệm, tên " + term + ":"}), spouse)
		f.id(s, spouse, true)
	}
	f.d.Left("2. Giấy chứng nhận đã cấp:")
	f.d.Fields(scanset.Field{Label: "Số vào sổ cấp GCN:", Value: fmt.Sprintf("CH %05d", f.rng.IntN(100000))},
		scanset.Field{Label: "Số phát hành:", Value: fmt.Sprintf("%s %06d", pick(f.rng, []string{"DĐ", "CS", "CT"}), f.rng.IntN(1000000)), Col: 0.5})
	f.d.Fields(scanset.Field{Label: "Thửa đất số:", Value: fmt.Sprint(10 + f.rng.IntN(490))},
		scanset.Field{Label: "Tờ bản đồ số:", Value: fmt.Sprint(1 + f.rng.IntN(60)), Col: 0.5})
	f.d.Field("3. Nội dung biến động:", pick(f.rng, []string{
		"Chuyển nhượng toàn bộ quyền sử dụng đất và tài sản gắn liền với đất",
		"Tặng cho quyền sử dụng đất cho con", "Đăng ký thế chấp quyền sử dụng đất tại ngân hàng"}))
	f.d.Field("4. Lý do biến động:", pick(f.rng, []string{"Nhận chuyển nhượng theo hợp đồng đã công chứng", "Thừa kế theo di chúc", "Vay vốn sản xuất kinh doanh"}))
	f.d.Para("Tôi cam đoan nội dung kê khai trên đơn là đúng sự thật, nếu sai tôi hoàn toàn chịu trách nhiệm trước pháp luật.")
	f.dateLine(prov.city, filed)
	f.d.Sign(signed("NGƯỜI VIẾT ĐƠN", owner.display()))
}

// birthRegistration is the birth registration form: the applicant, the
// child and both parents.
func birthRegistration(f *form) {
	h := randomHousehold(f.rng)
	born := randomDate(f.rng, 2024, 2025)
	child := relative(f.rng, h.husband, f.rng.IntN(2) == 0, born.year, born.year, surname(h.husband))
	child.born = born
	applicant, relation := h.husband, "Cha"
	if f.rng.IntN(2) == 0 {
		applicant, relation = h.wife, "Mẹ"
	}
	filed := born.later(f.rng, 40)
	loc := applicant.home
	f.d = scanset.NewDoc("birth-registration", 12).Motto().Space(2)
	f.d.Title(14, "TỜ KHAI ĐĂNG KÝ KHAI SINH").Space(2)
	f.d.Field("Kính gửi:", wardOffice(loc))
	a := f.person(RoleApplicant)
	f.name(a, pick(f.rng, []string{"Họ, chữ đệm, tên người yêu cầu:", "Họ và tên người yêu cầu:", "Họ, chữ đệm, tên người đi đăng ký:"}), applicant)
	if f.rng.IntN(2) == 0 {
		f.field("Nơi cư trú:", applicant.current.String())
		a.set(FieldCurrentAddress, applicant.current.String())
	} else {
		f.permanent(a, applicant)
	}
	f.id(a, applicant, false)
	f.d.Field("Quan hệ với người được đăng ký khai sinh:", relation)
	f.d.Left("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:")
	c := f.person(RoleRegistered)
	f.name(c, pick(f.rng, []string{"Họ, chữ đệm, tên:", "Họ và tên:"}), child)
	f.d.Fields(scanset.Field{Label: "Ngày, tháng, năm sinh:", Value: born.slash()},
		scanset.Field{Label: "Giới tính:", Value: child.gender(), Col: 0.64})
	c.set(FieldDateOfBirth, born.iso())
	c.set(FieldGender, child.gender())
	f.d.Fields(scanset.Field{Label: "Dân tộc:", Value: child.ethnicity}, scanset.Field{Label: "Quốc tịch:", Value: "Việt Nam", Col: 0.5})
	c.set(FieldEthnicity, child.ethnicity)
	c.set(FieldNationality, "Việt Nam")
	f.d.Field("Nơi sinh:", pick(f.rng, []string{"Bệnh viện Phụ sản ", "Bệnh viện Đa khoa ", "Trung tâm Y tế "})+loc.province().bare())
	for _, par := range []struct {
		q     person
		role  string
		title string
	}{{h.wife, RoleMother, "người mẹ"}, {h.husband, RoleFather, "người cha"}} {
		p := f.person(par.role)
		f.name(p, pick(f.rng, []string{"Họ, chữ đệm, tên " + par.title + ":", "Họ và tên " + par.title + ":"}), par.q)
		f.d.Fields(scanset.Field{Label: "Năm sinh:", Value: fmt.Sprint(par.q.born.year)},
			scanset.Field{Label: "Dân tộc:", Value: par.q.ethnicity, Col: 0.33}, scanset.Field{Label: "Quốc tịch:", Value: "Việt Nam", Col: 0.62})
		p.set(FieldDateOfBirth, fmt.Sprint(par.q.born.year))
		p.set(FieldEthnicity, par.q.ethnicity)
		p.set(FieldNationality, "Việt Nam")
		if f.rng.IntN(2) == 0 {
			f.field("Nơi cư trú:", par.q.current.String())
			p.set(FieldCurrentAddress, par.q.current.String())
		}
	}
	f.d.Para("Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình.")
	f.dateLine("Làm tại "+ward(loc), filed)
	f.d.Sign(scanset.SignBlock{Titles: []string{"NGƯỜI YÊU CẦU"}, Note: "(Ký, ghi rõ họ, chữ đệm, tên)", Name: applicant.display(), Signed: true})
}

// householdRegistration is a residence declaration: the current form
// (CT01), the old household book's change slip (HK02) or an application
// for permanent residence, with the head of household and the members
// who move with the declarant.
func householdRegistration(f *form) {
	h := randomHousehold(f.rng)
	filed := randomDate(f.rng, 2023, 2025)
	subject := h.wife
	loc := h.husband.home
	variant := f.rng.IntN(3)
	f.d = scanset.NewDoc("household-registration", 12).Motto().Space(2)
	f.d.Title(14, []string{"TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "PHIẾU BÁO THAY ĐỔI HỘ KHẨU, NHÂN KHẨU", "ĐƠN ĐỀ NGHỊ ĐĂNG KÝ THƯỜNG TRÚ"}[variant]).Space(2)
	f.d.Field("Kính gửi:", fmt.Sprintf("Công an %s, %s", loc.loc.ward, loc.province().name))
	f.numbered = variant != 1
	p := f.person(RoleRegistered)
	f.name(p, pick(f.rng, []string{"Họ, chữ đệm và tên:", "Họ và tên:"}), subject)
	f.dobGender(p, subject)
	f.id(p, subject, variant == 1)
	if variant == 1 {
		f.ethnicNationality(p, subject)
		f.permanent(p, subject)
		f.current(p, subject)
	} else {
		f.phone(p, subject)
	}
	hd := f.person(RoleHouseholdHead)
	f.field(f.label(pick(f.rng, []string{"Họ, chữ đệm và tên chủ hộ:", "Họ và tên chủ hộ:", "Họ tên chủ hộ:"})), h.husband.name)
	hd.set(FieldName, h.husband.name)
	f.d.Field(f.label(pick(f.rng, []string{"Quan hệ với chủ hộ:", "Mối quan hệ với chủ hộ:"})), "Vợ")
	if variant != 1 {
		f.d.Field(f.label("Số định danh cá nhân của chủ hộ:"), h.husband.id)
		hd.set(FieldID, h.husband.id)
		f.d.Field(f.label("Nội dung đề nghị:"), "Đăng ký thường trú vào chỗ ở hợp pháp của chủ hộ tại "+loc.String())
	}
	if len(h.children) > 0 {
		f.d.Left(f.label("Những thành viên trong hộ gia đình cùng thay đổi:"))
		for i, c := range h.children {
			m := f.person(RoleMember)
			m.set(FieldName, c.name)
			m.set(FieldDateOfBirth, c.born.iso())
			m.set(FieldID, c.id)
			f.d.Field(fmt.Sprintf("%c)", 'a'+i), fmt.Sprintf("%s, sinh ngày %s, số định danh cá nhân %s, quan hệ với chủ hộ: con", c.name, c.born.slash(), c.id))
		}
	}
	f.numbered = false
	f.dateLine(loc.province().city, filed)
	f.d.Sign(signed(pick(f.rng, []string{"NGƯỜI KÊ KHAI", "NGƯỜI ĐỀ NGHỊ"}), subject.display()))
}

// vehicleRegistration is the owner's vehicle registration declaration.
func vehicleRegistration(f *form) {
	owner := randomPerson(f.rng, f.rng.IntN(3) == 0, 1960, 2004)
	filed := randomDate(f.rng, 2024, 2025)
	prov := owner.home.province()
	f.d = scanset.NewDoc("vehicle-registration", 13).Motto().Space(3)
	f.d.Title(15, pick(f.rng, []string{"GIẤY KHAI ĐĂNG KÝ XE", "TỜ KHAI ĐĂNG KÝ XE"}))
	f.d.Center("(Dùng cho xe mô tô, xe gắn máy)").Space(2)
	f.d.Heading("A. PHẦN CHỦ XE TỰ KÊ KHAI")
	p := f.person(RoleRegistered)
	f.name(p, pick(f.rng, []string{"Tên chủ xe:", "Họ và tên chủ xe:"}), owner)
	if f.rng.IntN(2) == 0 {
		f.d.Fields(scanset.Field{Label: "Năm sinh:", Value: fmt.Sprint(owner.born.year)},
			scanset.Field{Label: "Giới tính:", Value: owner.gender(), Col: 0.5})
		p.set(FieldDateOfBirth, fmt.Sprint(owner.born.year))
		p.set(FieldGender, owner.gender())
	} else {
		f.dobGender(p, owner)
	}
	f.field(pick(f.rng, []string{"Địa chỉ:", "Nơi cư trú:", "Địa chỉ liên hệ:"}), owner.current.String())
	p.set(FieldCurrentAddress, owner.current.String())
	label := pick(f.rng, []string{"Số CCCD/CMND/Hộ chiếu của chủ xe:", "Số định danh cá nhân:", "Số CCCD:"})
	if owner.cmnd != "" && strings.Contains(label, "CMND") {
		f.d.Field(label, owner.cmnd)
		p.set(FieldLegacyID, owner.cmnd)
	} else {
		f.d.Field(label, owner.id)
		p.set(FieldID, owner.id)
	}
	f.d.Fields(scanset.Field{Label: "Cấp ngày:", Value: randomDate(f.rng, 2021, 2024).slash()},
		scanset.Field{Label: "Nơi cấp:", Value: "Cục Cảnh sát QLHC về TTXH", Col: 0.4})
	f.phone(p, owner)
	letters := "ABCDEFGHKLMNPSTUVXYZ"
	f.d.Fields(scanset.Field{Label: "Nhãn hiệu:", Value: pick(f.rng, []string{"HONDA", "YAMAHA", "SUZUKI", "PIAGGIO", "VINFAST"})},
		scanset.Field{Label: "Số loại:", Value: pick(f.rng, []string{"VISION", "WAVE ALPHA", "SIRIUS", "AIR BLADE", "LIBERTY", "EVO200"}), Col: 0.5})
	f.d.Fields(scanset.Field{Label: "Số máy:", Value: fmt.Sprintf("JF%02dE-%07d", 10+f.rng.IntN(90), f.rng.IntN(10000000))},
		scanset.Field{Label: "Số khung:", Value: fmt.Sprintf("RL%c%08d", letters[f.rng.IntN(len(letters))], f.rng.IntN(100000000)), Col: 0.5})
	f.d.Fields(scanset.Field{Label: "Màu sơn:", Value: pick(f.rng, []string{"Đỏ - Đen", "Trắng - Đen", "Xanh - Bạc", "Đen"})},
		scanset.Field{Label: "Dung tích:", Value: pick(f.rng, []string{"109,5 cm³", "124,8 cm³", "113,7 cm³"}), Col: 0.5})
	f.d.Space(2).Para("Tôi xin cam đoan về nội dung khai trên là đúng và hoàn toàn chịu trách nhiệm trước pháp luật về các chứng từ trong hồ sơ xe.")
	f.dateLine(prov.city, filed)
	f.d.Sign(signed("CHỦ XE", owner.display()))
}

// maritalStatus is the declaration for a certificate of marital status:
// the applicant, the person it is for (often the same), perhaps a spouse.
func maritalStatus(f *form) {
	subject := randomPerson(f.rng, f.rng.IntN(2) == 0, 1965, 2003)
	filed := randomDate(f.rng, 2024, 2025)
	loc := subject.current
	f.d = scanset.NewDoc("marital-status", 12).Motto().Space(2)
	f.d.Title(14, "TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN").Space(2)
	f.d.Field("Kính gửi:", wardOffice(loc))
	applicant, relation := subject, "Bản thân"
	if f.rng.IntN(3) == 0 {
		mother := f.rng.IntN(2) == 0
		family := surname(subject)
		if relation = "Cha"; mother {
			relation, family = "Mẹ", ""
		}
		applicant = relative(f.rng, subject, mother, subject.born.year-32, subject.born.year-20, family)
	}
	a := f.person(RoleApplicant)
	f.name(a, "Họ, chữ đệm, tên người yêu cầu:", applicant)
	f.field("Nơi cư trú:", applicant.current.String())
	a.set(FieldCurrentAddress, applicant.current.String())
	f.id(a, applicant, false)
	f.d.Field("Quan hệ với người được cấp Giấy xác nhận tình trạng hôn nhân:", relation)
	f.d.Left("Đề nghị cấp Giấy xác nhận tình trạng hôn nhân cho người có tên dưới đây:")
	p := f.person(RoleRegistered)
	f.name(p, pick(f.rng, []string{"Họ, chữ đệm, tên:", "Họ và tên:"}), subject)
	f.dobGender(p, subject)
	f.ethnicNationality(p, subject)
	f.field("Nơi cư trú:", subject.current.String())
	p.set(FieldCurrentAddress, subject.current.String())
	f.id(p, subject, true)
	if f.rng.IntN(2) == 0 {
		spouse := randomPerson(f.rng, !subject.female, subject.born.year-4, subject.born.year+4)
		term := "vợ"
		if subject.female {
			term = "chồng"
		}
		f.d.Field("Tình trạng hôn nhân:", fmt.Sprintf("Đã đăng ký kết hôn, hiện tại đang có %s", term))
		s := f.person(RoleSpouse)
		f.name(s, pick(f.rng, []string{"Họ, chữ đệm, tên " + term + ":", "Họ và tên " + term + ":"}), spouse)
		f.id(s, spouse, false)
	} else {
		f.d.Field("Tình trạng hôn nhân:", "Chưa đăng ký kết hôn với ai")
	}
	f.d.Field("Mục đích sử dụng:", pick(f.rng, []string{"Để đăng ký kết hôn", "Để bổ sung hồ sơ vay vốn", "Để làm thủ tục mua bán nhà đất"}))
	f.d.Para("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình.")
	f.dateLine("Làm tại "+ward(loc), filed)
	f.d.Sign(signed("NGƯỜI YÊU CẦU", applicant.display()))
}

// authorization is a power of attorney between two people: who gives it
// (Bên A) and who acts under it (Bên B).
func authorization(f *form) {
	a := randomPerson(f.rng, f.rng.IntN(2) == 0, 1950, 1995)
	b := randomPerson(f.rng, f.rng.IntN(2) == 0, 1970, 2004)
	written := randomDate(f.rng, 2024, 2025)
	f.d = scanset.NewDoc("authorization", 12).Motto().Space(2)
	f.d.Title(15, pick(f.rng, []string{"GIẤY ỦY QUYỀN", "VĂN BẢN ỦY QUYỀN"}))
	f.d.Center("(Dành cho cá nhân)").Space(2)
	f.d.Para("Căn cứ Bộ luật Dân sự năm 2015 và nhu cầu của các bên, hôm nay chúng tôi gồm:")
	for _, side := range []struct {
		q       person
		role    string
		heading string
	}{{a, RolePrincipal, pick(f.rng, []string{"BÊN ỦY QUYỀN (Bên A):", "I. BÊN ỦY QUYỀN", "NGƯỜI ỦY QUYỀN:"})},
		{b, RoleAgent, pick(f.rng, []string{"BÊN ĐƯỢC ỦY QUYỀN (Bên B):", "II. BÊN ĐƯỢC ỦY QUYỀN", "NGƯỜI ĐƯỢC ỦY QUYỀN:"})}} {
		f.d.Heading(side.heading)
		p := f.person(side.role)
		f.name(p, pick(f.rng, []string{"Họ và tên:", "Ông/Bà:", "Họ tên:"}), side.q)
		f.dob(p, side.q)
		f.id(p, side.q, true)
		f.d.Fields(scanset.Field{Label: "Ngày cấp:", Value: randomDate(f.rng, 2016, 2024).slash()},
			scanset.Field{Label: "Nơi cấp:", Value: pick(f.rng, []string{"Cục Cảnh sát QLHC về TTXH", "Bộ Công an", "Công an " + side.q.home.province().bare()}), Col: 0.42})
		f.permanent(p, side.q)
		if f.rng.IntN(2) == 0 {
			f.phone(p, side.q)
		}
	}
	f.d.Heading("NỘI DUNG ỦY QUYỀN:")
	f.d.Para(pick(f.rng, []string{
		"Bên B được thay mặt Bên A nộp hồ sơ, bổ sung giấy tờ và nhận kết quả thủ tục đăng ký biến động đất đai tại Bộ phận một cửa.",
		"Bên B được thay mặt Bên A làm thủ tục cấp đổi giấy đăng ký xe và nhận kết quả tại cơ quan công an.",
		"Bên B được thay mặt Bên A nộp hồ sơ và nhận Giấy xác nhận tình trạng hôn nhân tại Ủy ban nhân dân cấp xã."}))
	f.d.Para("Thời hạn ủy quyền: kể từ ngày ký đến khi hoàn thành công việc được ủy quyền.")
	f.dateLine(a.home.province().city, written)
	f.d.Sign(signed("BÊN ỦY QUYỀN", a.display()))
}

// notice is an office's notice to a citizen, with the office's number,
// seal and signature.
func notice(f *form) {
	who := randomPerson(f.rng, f.rng.IntN(2) == 0, 1955, 2000)
	issued := randomDate(f.rng, 2024, 2025)
	loc := who.home.loc
	prov := who.home.province()
	office := pick(f.rng, []string{"ỦY BAN NHÂN DÂN " + upper(loc.ward), "CHI NHÁNH VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI", "CÔNG AN " + upper(loc.ward)})
	f.d = scanset.NewDoc("notice", 13)
	f.agency(upper(prov.name), office)
	f.d.Center(fmt.Sprintf("Số: %d/TB-%s", 10+f.rng.IntN(900), pick(f.rng, []string{"UBND", "VPĐK", "CAP"})))
	f.d.Space(1).Motto().Space(1)
	f.dateLine(prov.city, issued)
	f.d.Space(2).Title(14, "THÔNG BÁO")
	f.d.Title(13, pick(f.rng, []string{"Về việc bổ sung hồ sơ", "Về việc trả kết quả giải quyết thủ tục hành chính", "Về việc nộp nghĩa vụ tài chính"})).Space(2)
	title := "Ông"
	if who.female {
		title = "Bà"
	}
	p := f.person(RoleRegistered)
	v := who.name
	if f.rng.IntN(3) == 0 {
		v = who.display()
	}
	f.d.Field("Kính gửi:", title+" "+v)
	p.set(FieldName, v)
	if f.rng.IntN(2) == 0 {
		f.dob(p, who)
	}
	f.id(p, who, false)
	f.permanent(p, who)
	f.d.Para(fmt.Sprintf("Ngày %s, %s nhận được hồ sơ của %s về việc giải quyết thủ tục hành chính. Qua kiểm tra, hồ sơ cần được bổ sung bản sao giấy tờ chứng minh chỗ ở hợp pháp và văn bản đồng ý của chủ sở hữu.",
		issued.slash(), scanset.TitleCase(office), strings.ToLower(title)))
	f.d.Para("Đề nghị " + strings.ToLower(title) + " đến Bộ phận một cửa trong thời hạn 10 ngày làm việc kể từ ngày nhận được thông báo này để hoàn thiện hồ sơ theo quy định./.")
	f.d.Sign(scanset.SignBlock{Titles: []string{pick(f.rng, []string{"TRƯỞNG CÔNG AN", "CHỦ TỊCH", "GIÁM ĐỐC"})}, Name: officer(f.rng),
		Signed: true, Sealed: true, RingText: office + " * " + upper(prov.bare())})
}

// receipt is the one-stop desk's slip for a dossier received.
func receipt(f *form) {
	who := randomPerson(f.rng, f.rng.IntN(2) == 0, 1955, 2004)
	got := randomDate(f.rng, 2024, 2025)
	loc := who.current.loc
	prov := who.current.province()
	f.d = scanset.NewDoc("receipt", 13)
	office := pick(f.rng, []string{"BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", "BỘ PHẬN MỘT CỬA"})
	f.agency("ỦY BAN NHÂN DÂN "+upper(loc.ward), office)
	f.d.Center(fmt.Sprintf("Mã hồ sơ: 000.%02d.%s.H%02d-%02d%02d%02d-%04d", 10+f.rng.IntN(80), loc.prov[1:], 10+f.rng.IntN(80),
		got.year%100, got.month, got.day, 1+f.rng.IntN(3000)))
	f.d.Space(1).Motto().Space(1)
	f.dateLine(prov.city, got)
	f.d.Space(2).Title(14, pick(f.rng, []string{"GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "GIẤY BIÊN NHẬN HỒ SƠ", "PHIẾU TIẾP NHẬN HỒ SƠ"})).Space(2)
	f.d.Para(fmt.Sprintf("Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân %s tiếp nhận hồ sơ của:", loc.ward))
	p := f.person(RoleApplicant)
	f.name(p, pick(f.rng, []string{"Ông/bà:", "Họ tên người nộp hồ sơ:", "Người nộp hồ sơ:"}), who)
	f.id(p, who, true)
	f.field(pick(f.rng, []string{"Địa chỉ:", "Địa chỉ liên hệ:"}), who.current.String())
	p.set(FieldCurrentAddress, who.current.String())
	f.phone(p, who)
	f.d.Field("Nội dung yêu cầu giải quyết:", pick(f.rng, []string{"Đăng ký thường trú", "Đăng ký khai sinh", "Chứng thực bản sao từ bản chính", "Cấp Giấy xác nhận tình trạng hôn nhân"}))
	f.d.Left("Thành phần hồ sơ gồm:")
	f.d.Left("1. Tờ khai theo mẫu: 01 bản chính")
	f.d.Left("2. Giấy tờ chứng minh chỗ ở hợp pháp: 01 bản sao")
	back := got.later(f.rng, 10)
	f.d.Field("Ngày hẹn trả kết quả:", back.slash())
	f.d.Sign(scanset.SignBlock{Titles: []string{"NGƯỜI TIẾP NHẬN HỒ SƠ"}, Note: "(Ký, ghi rõ họ tên)", Name: officer(f.rng), Signed: true})
}

// residenceConfirmation is the police's confirmation of residence (CT07):
// the citizen and the head of household.
func residenceConfirmation(f *form) {
	h := randomHousehold(f.rng)
	subject := h.wife
	issued := randomDate(f.rng, 2023, 2025)
	loc := subject.home.loc
	prov := subject.home.province()
	f.d = scanset.NewDoc("residence-confirmation", 12)
	f.agency("CÔNG AN "+upper(prov.name), "CÔNG AN "+upper(loc.ward))
	f.d.Center(fmt.Sprintf("Số: %d/XN", 100+f.rng.IntN(9000)))
	f.d.Space(1).Motto().Space(1)
	f.dateLine(prov.city, issued)
	f.d.Space(1).Title(14, pick(f.rng, []string{"GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ", "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ"})).Space(1)
	f.d.Para(fmt.Sprintf("Công an %s xác nhận thông tin về cư trú của công dân như sau:", loc.ward))
	f.numbered = true
	p := f.person(RoleRegistered)
	f.name(p, pick(f.rng, nameLabels[:3]), subject)
	f.dobGender(p, subject)
	f.id(p, subject, false)
	f.ethnicNationality(p, subject)
	f.permanent(p, subject)
	f.d.Field(f.label("Nơi tạm trú:"), "")
	f.current(p, subject)
	hd := f.person(RoleHouseholdHead)
	f.field(f.label("Họ, chữ đệm và tên chủ hộ:"), h.husband.name)
	hd.set(FieldName, h.husband.name)
	f.d.Field(f.label("Quan hệ với chủ hộ:"), "Vợ")
	f.d.Field(f.label("Số định danh cá nhân của chủ hộ:"), h.husband.id)
	hd.set(FieldID, h.husband.id)
	f.numbered = false
	f.d.Para("Giấy xác nhận này có giá trị 30 ngày kể từ ngày cấp.")
	f.d.Sign(scanset.SignBlock{Titles: []string{"TRƯỞNG CÔNG AN"}, Name: "Thiếu tá " + officer(f.rng), Signed: true, Sealed: true,
		RingText: "CÔNG AN " + upper(loc.ward) + " * " + upper(prov.bare())})
}
