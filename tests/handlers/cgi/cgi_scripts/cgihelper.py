def greeting():
    return "helper says hi"
