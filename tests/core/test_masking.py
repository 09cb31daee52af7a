from jingzhi.core.masking import mask_generic, mask_id_number, mask_name, mask_phone


def test_identity_number_keeps_region_and_last_four() -> None:
    assert mask_id_number("32050519801231123X") == "320505********123X"


def test_phone_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_name_keeps_the_surname() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧阳**"


def test_empty_values_stay_empty() -> None:
    assert mask_id_number("") == mask_phone(None) == mask_name("") == ""


def test_short_values_are_masked_generically() -> None:
    assert mask_generic("ab") == "**"
    assert mask_generic("abcdef") == "****ef"
